import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.js';
import type { HttpResponse } from './client.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter, sendWithRetry, type RetryPolicy } from './retry.js';
import { TransportError } from './transport-error.js';

function reply(status: number, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, body: Buffer.from('{}') };
}

/** A policy on a fake clock: sleeping advances it, so the test sees the delays without waiting. */
function fakePolicy(overrides: Partial<RetryPolicy> = {}) {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  const policy: RetryPolicy = {
    baseDelayMs: 100,
    maxDelayMs: 10_000,
    callBudgetMs: 60_000,
    deadline: () => Number.POSITIVE_INFINITY,
    random: () => 0.5,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    ...overrides,
  };
  return { policy, sleeps, advance: (ms: number) => (clock += ms) };
}

function scripted(outcomes: Array<HttpResponse | TransportError>) {
  let calls = 0;
  const attempt = async () => {
    const outcome = outcomes[Math.min(calls, outcomes.length - 1)]!;
    calls++;
    if (outcome instanceof TransportError) throw outcome;
    return outcome;
  };
  return { attempt, calls: () => calls };
}

describe('retry policy', () => {
  it('full jitter: uniform below an exponentially growing, capped ceiling', () => {
    expect(backoffDelay(0, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 })).toBe(99);
    expect(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 })).toBe(400);
    expect(backoffDelay(20, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 })).toBe(500);
    expect(backoffDelay(5, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 })).toBe(0);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('retries 408/429/503 always, 409/5xx only for idempotent calls, other 4xx never', () => {
    for (const status of [408, 429, 503]) expect(isRetryableStatus(status, false)).toBe(true);
    for (const status of [409, 500, 502, 504]) {
      expect(isRetryableStatus(status, true)).toBe(true);
      expect(isRetryableStatus(status, false)).toBe(false);
    }
    for (const status of [400, 401, 403, 404, 422]) expect(isRetryableStatus(status, true)).toBe(false);
  });

  it('waits what Retry-After says, then succeeds', async () => {
    const { policy, sleeps } = fakePolicy();
    const { attempt, calls } = scripted([reply(429, { 'retry-after': '3' }), reply(503, { 'retry-after': '1' }), reply(200)]);
    const result = await sendWithRetry(attempt, 'PATCH /x', true, policy);
    expect(result.status).toBe(200);
    expect(calls()).toBe(3);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(4000);
  });

  it('does not wait past the deadline: returns the last retryable reply when Retry-After is beyond it', async () => {
    const { policy, sleeps } = fakePolicy({ deadline: () => 1_000_000 + 5_000 });
    const { attempt, calls } = scripted([reply(503, { 'retry-after': '3600' })]);
    expect((await sendWithRetry(attempt, 'PATCH /x', true, policy)).status).toBe(503);
    expect(calls()).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('retries connection failures until the budget, then SERVER_UNREACHABLE naming the endpoint and cause', async () => {
    const { policy } = fakePolicy({ callBudgetMs: 2_000 });
    const refused = new TransportError('not-sent', 'ECONNREFUSED', 'PATCH http://h/x: ECONNREFUSED connect ECONNREFUSED');
    const { attempt, calls } = scripted([refused]);
    const error = await sendWithRetry(attempt, 'PATCH /x', false, policy).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: ExitCode.SERVER_UNREACHABLE });
    expect((error as Error).message).toMatch(/^PATCH \/x: server unreachable after \d+ attempt\(s\): .*ECONNREFUSED/);
    expect(calls()).toBeGreaterThan(3);
  });

  it('does not resend a non-idempotent call after an ambiguous failure, and never retries TLS', async () => {
    const { policy } = fakePolicy();
    const reset = scripted([new TransportError('ambiguous', 'ECONNRESET', 'reset')]);
    await expect(sendWithRetry(reset.attempt, 'POST /match', false, policy)).rejects.toMatchObject({
      exitCode: ExitCode.SERVER_UNREACHABLE,
    });
    expect(reset.calls()).toBe(1);
    const tls = scripted([new TransportError('tls', 'SELF_SIGNED_CERT_IN_CHAIN', 'TLS verification failed')]);
    await expect(sendWithRetry(tls.attempt, 'GET /x', true, policy)).rejects.toMatchObject({ exitCode: ExitCode.TLS });
    expect(tls.calls()).toBe(1);
  });

  it('gives up early when the deadline is pulled in while it waits', async () => {
    let deadline = Number.POSITIVE_INFINITY;
    const { policy, advance } = fakePolicy({ deadline: () => deadline, baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 0.99 });
    policy.sleep = async (ms) => {
      advance(ms);
      deadline = 0; // flush() decided to stop waiting
    };
    const { attempt, calls } = scripted([new TransportError('not-sent', 'ECONNREFUSED', 'refused')]);
    await expect(sendWithRetry(attempt, 'PATCH /x', true, policy)).rejects.toMatchObject({ exitCode: ExitCode.SERVER_UNREACHABLE });
    expect(calls()).toBe(1);
  });

  it(
    'the stop signal ends a back-off at once (it used to wait out its 10-minute call budget), and no attempt follows',
    { timeout: 10_000 },
    async () => {
      const stop = new AbortController();
      // The real clock and sleep: a back-off of about ten minutes that only the signal can cut short.
      const policy: RetryPolicy = {
        baseDelayMs: 600_000,
        maxDelayMs: 600_000,
        callBudgetMs: 3_600_000,
        deadline: () => Number.POSITIVE_INFINITY,
        random: () => 0.99,
        signal: stop.signal,
      };
      const { attempt, calls } = scripted([new TransportError('not-sent', 'ECONNREFUSED', 'refused')]);
      const pending = sendWithRetry(attempt, 'POST /api/pilots/', true, policy);
      setTimeout(() => stop.abort(new Error('received SIGTERM')), 100);
      await expect(pending).rejects.toMatchObject({ exitCode: ExitCode.SERVER_UNREACHABLE });
      expect(calls()).toBe(1);
    },
  );

  it('an attempt abandoned by the stop signal is not retried; a download past its size limit neither', async () => {
    const stop = new AbortController();
    stop.abort(new Error('received SIGTERM'));
    const { policy } = fakePolicy({ signal: stop.signal });
    const aborted = scripted([new TransportError('aborted', 'ABORTED', 'abandoned')]);
    await expect(sendWithRetry(aborted.attempt, 'GET /x', true, policy)).rejects.toMatchObject({
      message: 'GET /x: abandoned (received SIGTERM)',
    });
    expect(aborted.calls()).toBe(1);
    const big = scripted([new TransportError('too-large', 'DOWNLOAD_TOO_LARGE', 'past the limit')]);
    await expect(sendWithRetry(big.attempt, 'GET /sb', true, fakePolicy().policy)).rejects.toMatchObject({
      exitCode: ExitCode.SERVER_PROTOCOL,
    });
    expect(big.calls()).toBe(1);
  });
});

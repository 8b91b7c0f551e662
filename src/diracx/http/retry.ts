import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { headerValue, type HttpResponse } from './client.js';
import { TransportError } from './transport-error.js';

export interface RetryPolicy {
  /** First backoff ceiling; attempt n waits uniform(0, min(maxDelayMs, baseDelayMs·2^n)) ("full jitter"). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest one call keeps retrying, before the pilot-wide deadline cuts it shorter. */
  callBudgetMs: number;
  /** Epoch ms after which nothing is retried: the pilot's remaining lifetime. */
  deadline: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onRetry?: (info: { endpoint: string; attempt: number; delayMs: number; reason: string }) => void;
  /** Aborted: no further attempt, and a back-off in progress ends at once (the pilot is stopping). */
  signal?: AbortSignal;
}

export const DEFAULT_RETRY: Omit<RetryPolicy, 'deadline'> = {
  baseDelayMs: 500,
  maxDelayMs: 60_000,
  callBudgetMs: 10 * 60_000,
};

/** Statuses that say "not processed, come back later": safe to retry for any call. */
const ALWAYS_RETRY = new Set([408, 429, 503]);
/** Statuses after which the request may or may not have been applied: retry idempotent calls only. */
const RETRY_IF_IDEMPOTENT = new Set([409, 500, 502, 504]);

export function isRetryableStatus(status: number, idempotent: boolean): boolean {
  return ALWAYS_RETRY.has(status) || (idempotent && RETRY_IF_IDEMPOTENT.has(status));
}

/** Retry-After in ms (delta-seconds or HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

const SLEEP_SLICE_MS = 1_000;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/** Sleeps `ms`, or less when `signal` is aborted meanwhile. */
function sleepUnlessAborted(sleep: (ms: number) => Promise<void>, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  if (signal.aborted) return Promise.resolve();
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([sleep(ms), aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

function abandoned(endpoint: string, signal: AbortSignal, cause?: unknown): PilotError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : String(reason ?? 'aborted');
  return new PilotError(ExitCode.SERVER_UNREACHABLE, `${endpoint}: abandoned (${why})`, { cause });
}

/**
 * Call `attempt` until it gets a reply that is final for it, retrying transport failures and
 * "come back later" statuses with backoff, within the call budget and the pilot's deadline.
 * Returns the last reply (possibly a retryable status the budget ran out on); throws
 * PilotError(TLS) at once for an untrusted certificate and PilotError(SERVER_UNREACHABLE) when
 * the server could not be reached in time.
 */
export async function sendWithRetry(
  attemptOnce: () => Promise<HttpResponse>,
  endpoint: string,
  idempotent: boolean,
  policy: RetryPolicy,
): Promise<HttpResponse> {
  const now = policy.now ?? Date.now;
  const sleep = policy.sleep ?? defaultSleep;
  const budgetEnd = now() + policy.callBudgetMs;
  // Re-read every time: flush() may pull the deadline in while a call is already retrying.
  const stopAt = () => Math.min(policy.deadline(), budgetEnd);
  for (let attempt = 0; ; attempt++) {
    let delay = backoffDelay(attempt, policy);
    let reason: string;
    let lastFailure: TransportError | null = null;
    let lastReply: HttpResponse | null = null;
    try {
      const reply = await attemptOnce();
      if (!isRetryableStatus(reply.status, idempotent)) return reply;
      const retryAfter = parseRetryAfter(headerValue(reply.headers, 'retry-after'), now());
      if (retryAfter !== null) delay = retryAfter;
      reason = `HTTP ${reply.status}`;
      lastReply = reply;
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      if (error.failure === 'aborted')
        throw policy.signal
          ? abandoned(endpoint, policy.signal, error)
          : new PilotError(ExitCode.SERVER_UNREACHABLE, error.message, { cause: error });
      if (error.failure === 'too-large') throw new PilotError(ExitCode.SERVER_PROTOCOL, error.message, { cause: error });
      if (error.failure === 'tls') throw new PilotError(ExitCode.TLS, error.message, { cause: error });
      if (error.failure === 'ambiguous' && !idempotent) {
        throw new PilotError(ExitCode.SERVER_UNREACHABLE, `${endpoint}: ${error.message} (not retried: the call is not idempotent)`, {
          cause: error,
        });
      }
      reason = error.code;
      lastFailure = error;
    }
    const giveUp = () => {
      if (lastReply) return lastReply;
      throw new PilotError(
        ExitCode.SERVER_UNREACHABLE,
        `${endpoint}: server unreachable after ${attempt + 1} attempt(s): ${lastFailure?.message ?? reason}`,
        { cause: lastFailure },
      );
    };
    if (policy.signal?.aborted) return giveUp();
    if (now() + delay > stopAt()) return giveUp();
    policy.onRetry?.({ endpoint, attempt: attempt + 1, delayMs: delay, reason });
    // In slices, so a deadline pulled in meanwhile ends the wait early; the stop signal ends it at once.
    for (let waited = 0; waited < delay; waited += SLEEP_SLICE_MS) {
      await sleepUnlessAborted(sleep, Math.min(SLEEP_SLICE_MS, delay - waited), policy.signal);
      if (policy.signal?.aborted || now() > stopAt()) return giveUp();
    }
  }
}

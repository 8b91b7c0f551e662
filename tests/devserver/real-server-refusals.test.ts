import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { call, HELLO_JDL_FIELDS } from './helpers.js';

/**
 * The refusals and quirks of the real DiracX application (diracx-api.md §7), each pinned with the
 * exact reply shape, so that the pilot's handling of them is tested against what it will meet.
 */
let server: DevServer;
let pilot: string;

beforeAll(async () => {
  server = await startDevServer();
  pilot = server.issuePilotCredentials().access_token;
});
afterAll(() => server.close());

let clock = 0;
/** Matched then Running, stamped after the server's own reschedule updates (which carry the current time). */
async function setRunning(id: number): Promise<void> {
  const at = (): string => new Date(Date.now() + ++clock).toISOString().replace('T', ' ').replace('Z', '+00:00');
  const updates = { [at()]: { Status: 'Matched', Source: 'Matcher' }, [at()]: { Status: 'Running', Source: 'JobWrapper' } };
  const r = await call(server, 'PATCH', '/api/jobs/status', { token: pilot, json: { [id]: updates } });
  expect(r.status).toBe(200);
}

/** A Running job that has used up its 3 reschedules. */
async function exhaustedJob(): Promise<number> {
  const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
  for (let i = 0; i < 3; i++) {
    await setRunning(id);
    expect((await call(server, 'POST', '/api/jobs/reschedule', { token: pilot, json: { job_ids: [id] } })).status).toBe(200);
  }
  await setRunning(id);
  return id;
}

describe('reschedule past MaxRescheduling', () => {
  it('answers 400 with the failed/success shape and leaves a lone job exactly as it was', async () => {
    const id = await exhaustedJob();
    const r = await call(server, 'POST', '/api/jobs/reschedule', { token: pilot, json: { job_ids: [id] } });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ detail: { failed: { [String(id)]: { detail: 'Maximum number of reschedules exceeded (3)' } }, success: {} } });
    const job = server.job(id)!;
    expect([job.status, job.rescheduleCounter]).toEqual(['Running', 3]);
  });

  it('fails the job over the limit when another job in the same request succeeded', async () => {
    const over = await exhaustedJob();
    const fresh = server.submitJob({ fields: HELLO_JDL_FIELDS });
    await setRunning(fresh);
    const r = await call(server, 'POST', '/api/jobs/reschedule', { token: pilot, json: { job_ids: [over, fresh] } });
    expect(r.status).toBe(200);
    expect((r.json as { failed: Record<string, unknown> }).failed).toEqual({
      [String(over)]: { detail: 'Maximum number of reschedules exceeded (3)' },
    });
    expect([server.job(over)!.status, server.job(over)!.minorStatus]).toEqual(['Failed', 'Maximum of reschedulings reached']);
    expect(server.job(fresh)!.status).toBe('Waiting');
  });
});

describe('a sandbox that does not exist', () => {
  it("is 403 'not the owner of the sandbox', not 404", async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS, owner: 'alice', inputFiles: { 'run.sh': 'x' } });
    const real = server.job(id)!.inputSandbox[0]!;
    const missing = real.replace(/sha256:[0-9a-f]{64}/, `sha256:${'0'.repeat(64)}`);
    expect(missing).not.toBe(real);
    const user = server.issueUserCredentials('alice').access_token;
    const r = await call(server, 'GET', `/api/jobs/sandbox?pfn=${encodeURIComponent(missing)}`, { token: user });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ detail: 'alice is not the owner of the sandbox' });
    expect((await call(server, 'GET', `/api/jobs/sandbox?pfn=${encodeURIComponent(real)}`, { token: user })).status).toBe(200);
  });
});

describe('the pilot-log route', () => {
  it('does not exist unless enabled: 404 Not Found, even before the token is looked at', async () => {
    for (const token of [pilot, undefined]) {
      const r = await call(server, 'POST', '/api/pilots/internal/message', { ...(token ? { token } : {}), json: { lines: [] } });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ detail: 'Not Found' });
    }
  });
});

describe('an expired access token', () => {
  it("is 401 'Invalid JWT'", async () => {
    const shortLived = await startDevServer({ accessTokenTtlSeconds: 0 });
    try {
      const token = shortLived.issuePilotCredentials().access_token;
      const r = await call(shortLived, 'PATCH', '/api/jobs/heartbeat', { token, json: {} });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ detail: 'Invalid JWT' });
    } finally {
      await shortLived.close();
    }
  });
});

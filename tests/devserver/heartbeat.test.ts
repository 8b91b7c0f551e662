import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { call, HELLO_JDL_FIELDS, stamp } from './helpers.js';

let server: DevServer;
let pilot: string;

beforeAll(async () => {
  server = await startDevServer();
  pilot = server.issuePilotCredentials().access_token;
});
afterAll(() => server.close());

async function matchedJob(): Promise<number> {
  const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
  await call(server, 'PATCH', '/api/jobs/status', {
    token: pilot,
    json: { [id]: { [stamp()]: { Status: 'Matched', Source: 'Matcher' } } },
  });
  return id;
}

/** Heartbeats for one job must be at least a second apart (the real server's unique key). */
async function nextSecond(): Promise<void> {
  await delay(1000 - (Date.now() % 1000) + 20);
}

describe('PATCH /api/jobs/heartbeat', () => {
  it('moves a Matched job to Running with Source Heartbeat and stores the data', async () => {
    const id = await matchedJob();
    const r = await call(server, 'PATCH', '/api/jobs/heartbeat', {
      token: pilot,
      json: { [id]: { LoadAverage: 0.5, CPUConsumed: 1.2, StandardOutput: 'line 1\n' } },
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual([]);
    const job = server.job(id)!;
    expect(job.status).toBe('Running');
    expect(job.history.at(-1)!.source).toBe('Heartbeat');
    expect(job.heartbeats).toHaveLength(1);
    expect(job.parameters.StandardOutput).toBe('line 1\n');
    expect(job.startExecTime).not.toBeNull();
  });

  it('refuses an unknown field with 422 (extra=forbid) and lists the violation', async () => {
    const id = await matchedJob();
    const before = server.violations.length;
    const r = await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: { [id]: { LoadAverage: 1, Temperature: 40 } } });
    expect(r.status).toBe(422);
    const detail = (r.json as { detail: { type: string; loc: unknown[] }[] }).detail;
    expect(detail).toContainEqual(expect.objectContaining({ type: 'extra_forbidden', loc: ['body', String(id), 'Temperature'] }));
    expect(server.violations.slice(before)).toEqual([
      expect.objectContaining({ path: '/api/jobs/heartbeat', status: 422, reason: expect.stringContaining('Temperature') }),
    ]);
    expect(server.job(id)!.status).toBe('Matched');
  });

  it('returns a Kill command exactly once after the job was killed, and a later Running becomes Killed (SM)', async () => {
    const id = await matchedJob();
    await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: { [id]: { WallClockTime: 1 } } });
    server.killJob(id);
    await nextSecond();
    const first = await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: { [id]: { WallClockTime: 2 } } });
    expect(first.json).toEqual([{ job_id: id, command: 'Kill', arguments: '' }]);
    await nextSecond();
    const second = await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: { [id]: { WallClockTime: 3 } } });
    expect(second.json).toEqual([]);
    await call(server, 'PATCH', '/api/jobs/status', {
      token: pilot,
      json: { [id]: { [new Date().toISOString()]: { Status: 'Running', Source: 'JobWrapper' } } },
    });
    const job = server.job(id)!;
    expect(job.status).toBe('Killed');
    expect(job.history.at(-1)!.source).toBe('JobWrapper(SM)');
  });

  it('answers 500 for an unknown job, like the real server', async () => {
    const r = await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: { 987654: { LoadAverage: 1 } } });
    expect(r.status).toBe(500);
  });

  it('answers 500 to a second heartbeat for one job within the same second', async () => {
    // Start just after a second boundary; a retry covers a machine that stalls for most of a second.
    for (let attempt = 0; attempt < 3; attempt++) {
      const id = await matchedJob();
      await nextSecond();
      const begin = Math.floor(Date.now() / 1000);
      const first = await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: { [id]: { LoadAverage: 1 } } });
      const second = await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: { [id]: { LoadAverage: 1 } } });
      if (Math.floor(Date.now() / 1000) !== begin) continue;
      expect(first.status).toBe(200);
      expect(second.status).toBe(500);
      expect(server.job(id)!.heartbeats).toHaveLength(1);
      return;
    }
    expect.fail('could not send two heartbeats within one second in three attempts');
  });
});

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

/** A job taken to Matched by the match endpoint's rules, without going through it. */
async function matchedJob(): Promise<number> {
  const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
  const r = await call(server, 'PATCH', '/api/jobs/status', {
    token: pilot,
    json: { [id]: { [stamp(0)]: { Status: 'Matched', Source: 'Matcher' } } },
  });
  expect(r.status).toBe(200);
  return id;
}

describe('PATCH /api/jobs/status', () => {
  it('recognises a re-sent batch (a client that lost the reply) and does not replay it over newer updates', async () => {
    const id = await matchedJob();
    const batch = {
      [id]: {
        [stamp(1000)]: { Status: 'Running', MinorStatus: 'Application', Source: 'JobWrapper' },
        [stamp(2000)]: { Status: 'Completing', MinorStatus: 'Output Sandbox Uploaded', Source: 'JobWrapper' },
      },
    };
    expect((await call(server, 'PATCH', '/api/jobs/status', { token: pilot, json: batch })).status).toBe(200);
    const done = { [id]: { [stamp(3000)]: { Status: 'Done', MinorStatus: 'Execution Complete', Source: 'JobWrapper' } } };
    expect((await call(server, 'PATCH', '/api/jobs/status', { token: pilot, json: done })).status).toBe(200);
    expect((await call(server, 'PATCH', '/api/jobs/status', { token: pilot, json: batch })).status).toBe(200);
    const job = server.job(id)!;
    expect([job.status, job.minorStatus]).toEqual(['Done', 'Execution Complete']);
    expect(job.history.filter((h) => h.source === 'JobWrapper').map((h) => h.minorStatus)).toEqual([
      'Application',
      'Output Sandbox Uploaded',
      'Execution Complete',
    ]);
  });

  it('drives a job Matched → Running → Completing → Done with exec times and nulls for unchanged fields', async () => {
    const id = await matchedJob();
    const r = await call(server, 'PATCH', '/api/jobs/status', {
      token: pilot,
      json: {
        [id]: {
          [stamp(3000)]: { Status: 'Done', MinorStatus: 'Execution Complete', Source: 'JobWrapper' },
          [stamp(1000)]: { Status: 'Running', MinorStatus: 'Job Initialization', Source: 'JobWrapper' },
          [stamp(2000)]: { Status: 'Completing', MinorStatus: 'Uploading Output Sandbox', Source: 'JobWrapper' },
        },
      },
    });
    expect(r.status).toBe(200);
    const body = r.json as { success: Record<string, Record<string, unknown>>; failed: Record<string, unknown> };
    expect(body.failed).toEqual({});
    const change = body.success[String(id)]!;
    expect(change.Status).toBe('Done');
    expect(change.ApplicationStatus).toBeNull();
    expect(change.StartExecTime).toBe('2026-01-01T12:00:01.000Z');
    expect(change.EndExecTime).toBe('2026-01-01T12:00:03.000Z');
    const job = server.job(id)!;
    expect(job.history.slice(-3).map((h) => `${h.status}/${h.minorStatus}`)).toEqual([
      'Running/Job Initialization',
      'Completing/Uploading Output Sandbox',
      'Done/Execution Complete',
    ]);
    // Source "JobWrapper" starts with "Job": it refreshes HeartBeatTime.
    expect(job.heartBeatTime).toBe('2026-01-01T12:00:03.000Z');
  });

  it('refuses a forbidden transition silently: status kept, "(SM)" on the Source, minor status applied', async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
    const r = await call(server, 'PATCH', '/api/jobs/status', {
      token: pilot,
      json: { [id]: { [stamp()]: { Status: 'Running', MinorStatus: 'Application', Source: 'JobWrapper' } } },
    });
    expect(r.status).toBe(200);
    const job = server.job(id)!;
    expect(job.status).toBe('Waiting');
    expect(job.minorStatus).toBe('Application');
    expect(job.history.at(-1)).toMatchObject({ status: 'Waiting', source: 'JobWrapper(SM)' });
    expect(job.startExecTime).toBeNull();
  });

  it('records a Source cut to StatusSource’s 32 characters (insert_records), and JobAgent@<site> refreshes HeartBeatTime', async () => {
    const id = await matchedJob();
    // DIRAC v9's JobAgent label for a site with a long name: 36 characters.
    const r = await call(server, 'PATCH', '/api/jobs/status', {
      token: pilot,
      json: { [id]: { [stamp(500)]: { MinorStatus: 'Job Received by Agent', Source: 'JobAgent@LCG.UKI-SOUTHGRID-RALPP.uk' } } },
    });
    expect(r.status).toBe(200);
    const job = server.job(id)!;
    expect(job.history.at(-1)).toMatchObject({
      status: 'Matched',
      minorStatus: 'Job Received by Agent',
      source: 'JobAgent@LCG.UKI-SOUTHGRID-RALPP',
    });
    expect(job.heartBeatTime).not.toBeNull();
  });

  it('?force=true bypasses the state machine', async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
    const r = await call(server, 'PATCH', '/api/jobs/status?force=true', {
      token: pilot,
      json: { [id]: { [stamp()]: { Status: 'Running' } } },
    });
    expect(r.status).toBe(200);
    expect(server.job(id)!.status).toBe('Running');
  });

  it('answers 400 for a timestamp without a zone and records the violation', async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
    const before = server.violations.length;
    const r = await call(server, 'PATCH', '/api/jobs/status', {
      token: pilot,
      json: { [id]: { '2026-01-01T12:00:00': { Status: 'Matched' } } },
    });
    expect(r.status).toBe(400);
    expect((r.json as { detail: string }).detail).toMatch(/timezone/);
    expect(server.violations.length).toBe(before + 1);
    expect(server.job(id)!.status).toBe('Waiting');
  });

  it('answers 422 for an unknown status and for a non-integer job id', async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
    const bad = await call(server, 'PATCH', '/api/jobs/status', { token: pilot, json: { [id]: { [stamp()]: { Status: 'Finished' } } } });
    expect(bad.status).toBe(422);
    expect((bad.json as { detail: { loc: unknown[] }[] }).detail[0]!.loc).toEqual(['body', String(id), stamp(), 'Status']);
    const key = await call(server, 'PATCH', '/api/jobs/status', { token: pilot, json: { abc: { [stamp()]: { Status: 'Matched' } } } });
    expect(key.status).toBe(422);
  });

  it('answers 404 when no job succeeded, and reports unknown jobs under failed otherwise', async () => {
    const none = await call(server, 'PATCH', '/api/jobs/status', { token: pilot, json: { 99999: { [stamp()]: { Status: 'Matched' } } } });
    expect(none.status).toBe(404);
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
    const some = await call(server, 'PATCH', '/api/jobs/status', {
      token: pilot,
      json: { [id]: { [stamp()]: { MinorStatus: 'x' } }, 99999: { [stamp()]: { MinorStatus: 'y' } } },
    });
    expect(some.status).toBe(200);
    expect(Object.keys((some.json as { failed: object }).failed)).toEqual(['99999']);
  });

  it('needs a token', async () => {
    const r = await call(server, 'PATCH', '/api/jobs/status', { json: {} });
    expect(r.status).toBe(401);
  });
});

describe('PATCH /api/jobs/metadata and POST /api/jobs/reschedule', () => {
  it('stores parameters and attributes, 204', async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
    const r = await call(server, 'PATCH', '/api/jobs/metadata', {
      token: pilot,
      json: { [id]: { HostName: 'wn01', 'Memory(MB)': 2048, Site: 'LCG.Dev.org', CustomKey: 'v' } },
    });
    expect(r.status).toBe(204);
    const job = server.job(id)!;
    expect(job.parameters).toMatchObject({ HostName: 'wn01', 'Memory(MB)': 2048, CustomKey: 'v' });
    expect(job.attributes).toMatchObject({ Site: 'LCG.Dev.org' });
    const wrongType = await call(server, 'PATCH', '/api/jobs/metadata', { token: pilot, json: { [id]: { 'Memory(MB)': 'lots' } } });
    expect(wrongType.status).toBe(422);
  });

  it('reschedules a Running job back to Waiting and returns the stored JDL', async () => {
    const id = await matchedJob();
    await call(server, 'PATCH', '/api/jobs/status', {
      token: pilot,
      json: { [id]: { [stamp(1000)]: { Status: 'Running', Source: 'JobWrapper' } } },
    });
    const r = await call(server, 'POST', '/api/jobs/reschedule', { token: pilot, json: { job_ids: [id] } });
    expect(r.status).toBe(200);
    const success = (r.json as { success: Record<string, { InputData: string; RescheduleCounter: number }> }).success[String(id)]!;
    expect(success.InputData).toContain('Executable = "run.sh"');
    expect(success.RescheduleCounter).toBe(1);
    expect(server.job(id)!.status).toBe('Waiting');
  });

  it('keeps a Matched job Matched (the quirk of the real server) while counting the reschedule', async () => {
    const id = await matchedJob();
    const r = await call(server, 'POST', '/api/jobs/reschedule', { token: pilot, json: { job_ids: [id] } });
    expect(r.status).toBe(200);
    const job = server.job(id)!;
    expect(job.status).toBe('Matched');
    expect(job.minorStatus).toBe('Job Rescheduled');
    expect(job.history.at(-1)!.source).toBe('Unknown(SM)');
    expect(job.rescheduleCounter).toBe(1);
  });

  it('answers 400 when no job could be rescheduled', async () => {
    const r = await call(server, 'POST', '/api/jobs/reschedule', { token: pilot, json: { job_ids: [424242] } });
    expect(r.status).toBe(400);
  });
});

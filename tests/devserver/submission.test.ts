import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJdl, jdlList, jdlString } from '../../src/jdl/jdl.js';
import { CHECKSUM_INPUT_SHA256, demoJobs } from '../../src/devserver/demo-jobs.js';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { call } from './helpers.js';

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ jobs: demoJobs() });
});
afterAll(() => server.close());

describe('POST /api/jobs/jdl', () => {
  it('stores the JDL with Owner, OwnerGroup, VirtualOrganization and JobID, and queues the job as Waiting', async () => {
    const user = server.issueUserCredentials('erin').access_token;
    const jdl =
      'Executable = "dirac-jobexec";\nArguments = "jobDescription.xml -o LogLevel=INFO";\nOwner = "someone-else";\nOutputSandbox = {std.out, std.err};';
    const r = await call(server, 'POST', '/api/jobs/jdl', { token: user, json: [jdl] });
    expect(r.status).toBe(201);
    const [inserted] = r.json as { JobID: number; Status: string; MinorStatus: string; TimeStamp: string }[];
    expect(inserted).toMatchObject({ Status: 'Received', MinorStatus: 'Job accepted' });
    const job = server.job(inserted!.JobID)!;
    expect(job.status).toBe('Waiting');
    expect(job.history.map((h) => h.status)).toEqual(['Received', 'Waiting']);
    const doc = parseJdl(job.jdl);
    expect(jdlString(doc, 'Owner')).toBe('erin');
    expect(jdlString(doc, 'OwnerGroup')).toBe('demo_user');
    expect(jdlString(doc, 'VirtualOrganization')).toBe('demo');
    expect(jdlString(doc, 'JobID')).toBe(String(inserted!.JobID));
    expect(jdlList(doc, 'OutputSandbox')).toEqual(['std.out', 'std.err']);
  });

  it('answers 400 for a JDL that does not parse or too many jobs, 403 for a pilot, 422 for a non-list body', async () => {
    const user = server.issueUserCredentials('erin').access_token;
    expect((await call(server, 'POST', '/api/jobs/jdl', { token: user, json: ['Executable = "unterminated;'] })).status).toBe(400);
    expect(
      (await call(server, 'POST', '/api/jobs/jdl', { token: user, json: Array.from({ length: 21 }, () => 'Executable = "x";') })).status,
    ).toBe(400);
    expect(
      (await call(server, 'POST', '/api/jobs/jdl', { token: server.issuePilotCredentials().access_token, json: ['Executable = "x";'] }))
        .status,
    ).toBe(403);
    expect((await call(server, 'POST', '/api/jobs/jdl', { token: user, json: { jdl: 'x' } })).status).toBe(422);
  });
});

describe('demo jobs', () => {
  it('are enqueued Waiting, each with its script in an input sandbox named by the JDL', () => {
    const jobs = server.jobs().filter((j) => j.owner === 'demo-user');
    expect(jobs).toHaveLength(demoJobs().length);
    for (const job of jobs) {
      expect(job.status).toBe('Waiting');
      const doc = parseJdl(job.jdl);
      expect(jdlString(doc, 'Executable')).toMatch(/\.sh$/);
      expect(jdlList(doc, 'InputSandbox')).toEqual([
        expect.stringMatching(/^SB:SandboxSE\|\/S3\/sandboxes\/demo\/demo_user\/demo-user\/sha256:[0-9a-f]{64}\.tar\.zst$/),
      ]);
    }
    const mp = jobs.find((j) => jdlString(parseJdl(j.jdl), 'JobName') === 'multi-processor')!;
    expect(jdlString(parseJdl(mp.jdl), 'NumberOfProcessors')).toBe('2');
    expect(CHECKSUM_INPUT_SHA256).toMatch(/^[0-9a-f]{64}$/);
  });
});

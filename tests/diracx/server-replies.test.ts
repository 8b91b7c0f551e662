import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RescheduleRefused, SandboxNotFound, type MatchedJob } from '../../src/backend/types.js';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { createDiracxBackend, type DiracxBackend } from '../../src/diracx/index.js';
import { call } from '../devserver/helpers.js';

/**
 * How the DiracX client reads the real server's refusals and quirks (diracx-api.md §7), each
 * reproduced by the dev server: a status reply that says Killed, a reschedule refused past
 * MaxRescheduling, a sandbox that does not exist.
 */
let dev: DevServer | undefined;
let backend: DiracxBackend | undefined;
afterEach(async () => {
  await backend?.close();
  await dev?.close();
  backend = dev = undefined;
});

async function connect(): Promise<{ dev: DevServer; backend: DiracxBackend }> {
  dev = await startDevServer();
  const dir = mkdtempSync(path.join(tmpdir(), 'dx-replies-'));
  const file = path.join(dir, 'credentials.json');
  await dev.writePilotCredentials(file);
  backend = await createDiracxBackend({ url: dev.url, credentials: { file }, spoolDir: path.join(dir, 'spool'), flushBudgetMs: 5_000 });
  return { dev, backend };
}

async function matched(server: DevServer, client: DiracxBackend): Promise<number> {
  const id = server.submitJob({ fields: { JobName: 'x', Executable: '/bin/true' } });
  await client.setJobStatus(id, { status: 'Matched', source: 'Matcher' });
  return id;
}

describe('the DiracX client and the real server refusals', () => {
  it('honours a status reply that says Killed: the job was killed on the server', async () => {
    const { dev, backend } = await connect();
    const id = await matched(dev, backend);
    await backend.setJobStatus(id, { status: 'Running', minorStatus: 'Job Initialization', source: 'JobWrapper' });
    const killed: number[] = [];
    backend.onServerKill((jobId) => killed.push(jobId));
    dev.killJob(id);
    await backend.setJobStatus(id, { minorStatus: 'Application', applicationStatus: 'Running', status: 'Running', source: 'JobWrapper' });
    expect(killed).toEqual([id]);
    // The pilot's own final Killed is not a surprise.
    await backend.setJobStatus(id, { status: 'Killed', minorStatus: 'Received Kill signal', source: 'JobWrapper' });
    expect(killed).toEqual([id]);
  });

  it('turns the 400 of a reschedule past MaxRescheduling into RescheduleRefused with the server reason', async () => {
    const { dev, backend } = await connect();
    const id = await matched(dev, backend);
    for (let i = 0; i < 3; i++) {
      await backend.setJobStatus(id, { status: 'Matched', source: 'Matcher' });
      await backend.setJobStatus(id, { status: 'Running', source: 'JobWrapper' });
      await backend.reschedule([id]);
    }
    await backend.setJobStatus(id, { status: 'Matched', source: 'Matcher' });
    await backend.setJobStatus(id, { status: 'Running', source: 'JobWrapper' });
    const error = await backend.reschedule([id]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RescheduleRefused);
    expect((error as RescheduleRefused).reason).toBe(`job ${id}: Maximum number of reschedules exceeded (3)`);
    expect(dev.job(id)!.status).toBe('Running');
  });

  it('turns the 403 "not the owner of the sandbox" for a missing PFN into SandboxNotFound, not a credentials failure', async () => {
    const { dev, backend } = await connect();
    const token = dev.issueUserCredentials().access_token;
    const job: MatchedJob = {
      jobId: 1,
      jdl: '',
      owner: 'demo-user',
      ownerGroup: 'demo_user',
      vo: 'demo',
      credentials: { accessToken: token, expiresIn: 600, refreshToken: null },
    };
    const pfn = `SB:SandboxSE|/S3/sandboxes/demo/demo_user/demo-user/sha256:${'0'.repeat(64)}.tar.zst`;
    const error = await backend.downloadSandbox(job, pfn, path.join(tmpdir(), `never-${process.pid}.tar`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxNotFound);
    expect((error as Error).message).toMatch(/not found on the server \(403: demo-user is not the owner of the sandbox\)/);
    expect((await call(dev, 'GET', `/api/jobs/sandbox?pfn=${encodeURIComponent(pfn)}`, { token })).status).toBe(403);
  });
});

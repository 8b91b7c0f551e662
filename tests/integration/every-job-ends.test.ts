import { describe, expect, it } from 'vitest';
import type { DevServer, JobSubmission } from '../../src/devserver/index.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { call } from '../devserver/helpers.js';
import { devPilotArgs, devServerPerTest, runPilot, waitFor } from './pilot-process.js';

/**
 * Issue 16 §4: every job the pilot touched ends in a final state or back in the queue, with a
 * history that reads as DIRAC's, against the dev server's reproduction of the real refusals.
 */
const startServer = devServerPerTest();
const start = (jobs: JobSubmission[]) => startServer({ jobs });

const std = { StdOutput: 'std.out', StdError: 'std.err', OutputSandbox: ['std.out', 'std.err'] };

/** Uses up a Waiting job's 3 reschedules through the API (Matched → Running → reschedule), leaving it Waiting. */
async function exhaustReschedules(dev: DevServer, id: number): Promise<void> {
  const token = dev.issuePilotCredentials().access_token;
  let tick = 0;
  const at = (): string => new Date(Date.now() + ++tick).toISOString().replace('T', ' ').replace('Z', '+00:00');
  for (let i = 0; i < 3; i++) {
    const updates = { [at()]: { Status: 'Matched', Source: 'Matcher' }, [at()]: { Status: 'Running', Source: 'JobWrapper' } };
    expect((await call(dev, 'PATCH', '/api/jobs/status', { token, json: { [id]: updates } })).status).toBe(200);
    expect((await call(dev, 'POST', '/api/jobs/reschedule', { token, json: { job_ids: [id] } })).status).toBe(200);
  }
  expect([dev.job(id)!.status, dev.job(id)!.rescheduleCounter]).toEqual(['Waiting', 3]);
}

describe('every job the pilot touched ends final or back in the queue', () => {
  it('a job killed by the server reads Killed with the reason, with no Completing or Output Sandbox Uploaded after it', async () => {
    const { server, credentials, work } = await start([
      { fields: { JobName: 'long', Executable: 'long.sh', ...std }, inputFiles: { 'long.sh': '#!/bin/sh\necho started\nsleep 120\n' } },
    ]);
    const pilot = runPilot(devPilotArgs(server, credentials, work));
    const id = server.jobs()[0]!.id;
    await waitFor('the job to run its application', () => server.job(id)!.minorStatus === 'Application');
    server.killJob(id);
    const run = await pilot;
    expect(run.code, run.stderr).toBe(ExitCode.OK);
    const job = server.job(id)!;
    expect([job.status, job.minorStatus, job.applicationStatus]).toEqual(['Killed', 'Received Kill signal', 'Killed: by the server']);
    const killedAt = job.history.findIndex((h) => h.status === 'Killed');
    const after = job.history.slice(killedAt).map((h) => `${h.source}: ${h.minorStatus}`);
    expect(
      after.filter((line) => /Completing|Output Sandbox|Application Finished/.test(line)),
      after.join('\n'),
    ).toEqual([]);
    expect(job.history.map((h) => h.status)).not.toContain('Completing');
  });

  it('a reschedule refused past MaxRescheduling ends the job Failed, saying why (SIGTERM gives it back)', async () => {
    const { server, credentials, work } = await start([
      { fields: { JobName: 'again', Executable: 'again.sh', ...std }, inputFiles: { 'again.sh': '#!/bin/sh\nsleep 120\n' } },
    ]);
    const id = server.jobs()[0]!.id;
    await exhaustReschedules(server, id);
    let pid = 0;
    const pilot = runPilot(devPilotArgs(server, credentials, work), { onSpawn: (p) => (pid = p) });
    await waitFor('the job to run its application', () => server.job(id)!.minorStatus === 'Application');
    process.kill(pid, 'SIGTERM');
    const run = await pilot;
    expect(run.code, run.stderr).toBe(ExitCode.SIGNAL_BASE + 15);
    const job = server.job(id)!;
    // The server left the lone job Running (its quirk); the pilot ended it.
    expect([job.status, job.minorStatus]).toEqual(['Failed', 'Reschedule refused: Maximum number of reschedules exceeded (3)']);
    expect(job.rescheduleCounter).toBe(3);
  });

  it('a missing input sandbox (403 "not the owner") gives the job back with an accurate minor status', async () => {
    const missing = `SB:SandboxSE|/S3/sandboxes/demo/demo_user/demo-user/sha256:${'0'.repeat(64)}.tar.zst`;
    const { server, credentials, work } = await start([
      { fields: { JobName: 'no-sandbox-file', Executable: '/bin/true', InputSandbox: [missing] } },
    ]);
    const run = await runPilot(devPilotArgs(server, credentials, work, ['--MaxCycles', '1']));
    expect(run.code, run.stderr).toBe(ExitCode.OK);
    const job = server.jobs()[0]!;
    expect(job.rescheduleCounter).toBe(1);
    expect(job.status).toBe('Waiting');
    expect(job.history.map((h) => h.minorStatus)).toContain('Input Sandbox Download Failed: sandbox not found on the server');
    expect(run.stderr).not.toMatch(/refused the credentials/);
  });

  it('does not send "Downloading InputSandbox" for a job that has none', async () => {
    const { server, credentials, work } = await start([{ fields: { JobName: 'bare', Executable: '/bin/true' } }]);
    const run = await runPilot(devPilotArgs(server, credentials, work));
    expect(run.code, run.stderr).toBe(ExitCode.OK);
    const job = server.jobs()[0]!;
    expect(job.status).toBe('Done');
    expect(job.history.map((h) => h.minorStatus)).not.toContain('Downloading InputSandbox');
  });
});

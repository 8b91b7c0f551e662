import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer, type JobSubmission } from '../../src/devserver/index.js';
import { ExitCode } from '../../src/pilot/exit-codes.js';
import { devPilotArgs, runPilot, tempDir } from './pilot-process.js';

let server: DevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const std = { StdOutput: 'std.out', StdError: 'std.err', OutputSandbox: ['std.out', 'std.err'] };

async function start(jobs: JobSubmission[]) {
  server = await startDevServer({ jobs });
  const dir = tempDir();
  const credentials = path.join(dir, 'credentials.json');
  await server.writePilotCredentials(credentials);
  return { server, credentials, dir, work: path.join(dir, 'work') };
}

/** Processes whose environment carries `marker`: what a job left running, if anything. */
function processesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) found.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('jobs under the pilot: processes, kills, signals', () => {
  it('leaves nothing running after a job that double-forks a daemon', async () => {
    const marker = `DOUBLE_FORK_${process.pid}_${Date.now()}=1`;
    const [name, value] = marker.split('=');
    const { server, credentials, work } = await start([
      {
        fields: { JobName: 'daemon', Executable: 'daemon.sh', Environment: [marker], ...std },
        inputFiles: { 'daemon.sh': `#!/bin/sh\n( setsid sh -c 'sleep 300' & ) \necho "daemon started: $${name}=${value}"\n` },
      },
    ]);
    const run = await runPilot(devPilotArgs(server, credentials, work));
    expect(run.code, run.stderr).toBe(0);
    expect(server.jobs()[0]!.status).toBe('Done');
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('kills a job the server killed, with a precise minor status, and keeps going', async () => {
    const { server, credentials, work } = await start([
      { fields: { JobName: 'long', Executable: 'long.sh', ...std }, inputFiles: { 'long.sh': '#!/bin/sh\nsleep 120\n' } },
    ]);
    const pilot = runPilot(devPilotArgs(server, credentials, work));
    await waitFor('the job to run its application', () => server.jobs()[0]!.minorStatus === 'Application');
    server.killJob(server.jobs()[0]!.id);
    const run = await pilot;
    expect(run.code, run.stderr).toBe(0);
    const job = server.jobs()[0]!;
    expect(job.status).toBe('Killed');
    expect(job.history.some((h) => h.source === 'Heartbeat' || h.source.startsWith('JobWrapper'))).toBe(true);
  });

  it('reschedules the running job and exits 143 on SIGTERM, leaving no payload process', async () => {
    const marker = `SIGTERM_TEST_${process.pid}_${Date.now()}=1`;
    const { server, credentials, work } = await start([
      { fields: { JobName: 'victim', Executable: 'victim.sh', Environment: [marker], ...std }, inputFiles: { 'victim.sh': '#!/bin/sh\nsleep 120 & wait\n' } },
    ]);
    let pid = 0;
    const pilot = runPilot(devPilotArgs(server, credentials, work), { onSpawn: (p) => (pid = p) });
    await waitFor('the job to run its application', () => server.jobs()[0]!.minorStatus === 'Application');
    const sent = Date.now();
    process.kill(pid, 'SIGTERM');
    const run = await pilot;
    const tookMs = Date.now() - sent;
    expect(run.code, run.stderr).toBe(ExitCode.SIGNAL_BASE + 15);
    expect(tookMs).toBeLessThan(25_000); // Slurm's KillWait is 30 s
    const job = server.jobs()[0]!;
    expect(job.rescheduleCounter).toBe(1);
    expect(['Received', 'Waiting', 'Rescheduled']).toContain(job.status);
    expect(processesWithMarker(marker)).toEqual([]);
  });
});

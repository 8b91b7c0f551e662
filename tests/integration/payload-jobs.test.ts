import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DevServer, JobSubmission } from '../../src/devserver/index.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { devPilotArgs, devServerPerTest, runPilot, tempDir, waitFor } from './pilot-process.js';

const startServer = devServerPerTest();
const start = (jobs: JobSubmission[]) => startServer({ jobs });

const std = { StdOutput: 'std.out', StdError: 'std.err', OutputSandbox: ['std.out', 'std.err'] };

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
      {
        fields: { JobName: 'victim', Executable: 'victim.sh', Environment: [marker], ...std },
        inputFiles: { 'victim.sh': '#!/bin/sh\nsleep 120 & wait\n' },
      },
    ]);
    let pid = 0;
    const pilot = runPilot(devPilotArgs(server, credentials, work), { onSpawn: (p) => (pid = p) });
    await waitFor('the job to run its application', () => server.jobs()[0]!.minorStatus === 'Application');
    process.kill(pid, 'SIGTERM');
    const run = await pilot;
    // It ended by itself, with the signal's code (a SIGKILL would read 137); how long that takes
    // against Slurm's KillWait is measured in bench/shutdown.bench.mjs.
    expect(run.code, run.stderr).toBe(ExitCode.SIGNAL_BASE + 15);
    const job = server.jobs()[0]!;
    expect(job.rescheduleCounter).toBe(1);
    expect(['Received', 'Waiting', 'Rescheduled']).toContain(job.status);
    expect(processesWithMarker(marker)).toEqual([]);
  });
});

describe('jobs under the pilot: slots and watchdog limits', () => {
  const script = (body: string) => `#!/bin/sh\n${body}\n`;

  it('runs four jobs at once on a 4-slot pilot, each with exactly one processor', async () => {
    const jobs = [1, 2, 3, 4].map((n) => ({
      fields: { JobName: `slot-${n}`, Executable: 'share.sh', ...std },
      inputFiles: {
        'share.sh': script(
          `echo "start $(date +%s.%N)"\necho "procs=$DIRAC_JOB_PROCESSORS omp=$OMP_NUM_THREADS"\ngrep Cpus_allowed_list /proc/self/status\nsleep 2\necho "end $(date +%s.%N)"`,
        ),
      },
    }));
    const { server, credentials, work } = await start(jobs);
    const run = await runPilot(devPilotArgs(server, credentials, work, ['-P', '4']));
    expect(run.code, run.stderr).toBe(0);
    const outputs = await Promise.all(server.jobs().map((j) => stdoutOf(server, j.id)));
    const windows = outputs.map((o) => [Number(o.match(/start (\S+)/)![1]), Number(o.match(/end (\S+)/)![1])] as const);
    // All four ran at the same time: the latest start is before the earliest end.
    expect(Math.max(...windows.map((w) => w[0]))).toBeLessThan(Math.min(...windows.map((w) => w[1])));
    for (const o of outputs) expect(o).toContain('procs=1 omp=1');
  });

  it('pins jobs to disjoint CPUs when the pilot has a CPU per processor', async () => {
    const cpus = readFileSync('/proc/self/status', 'utf8').match(/Cpus_allowed_list:\s*(\S+)/)![1]!;
    const count = cpus.split(',').reduce((n, r) => n + (r.includes('-') ? Number(r.split('-')[1]) - Number(r.split('-')[0]) + 1 : 1), 0);
    const slots = Math.min(count, 4);
    const jobs = Array.from({ length: slots }, (_, n) => ({
      fields: { JobName: `pin-${n}`, Executable: 'pin.sh', ...std },
      inputFiles: { 'pin.sh': script('grep Cpus_allowed_list /proc/self/status\nsleep 1') },
    }));
    const { server, credentials, work } = await start(jobs);
    const run = await runPilot(devPilotArgs(server, credentials, work, ['-P', String(slots)]));
    expect(run.code, run.stderr).toBe(0);
    const sets = await Promise.all(server.jobs().map(async (j) => (await stdoutOf(server, j.id)).match(/Cpus_allowed_list:\s*(\S+)/)![1]));
    expect(new Set(sets).size).toBe(slots);
    for (const set of sets) expect(set).toMatch(/^\d+$/);
  });

  it('kills a job over its memory share with a precise minor status', async () => {
    const { server, credentials, work } = await start([
      {
        fields: { JobName: 'hog', Executable: 'hog.sh', MaxRAM: 64, ...std },
        inputFiles: {
          'hog.sh': script(
            `python3 -c "import time; b = bytearray(300 * 1024 * 1024); [b.__setitem__(i, 1) for i in range(0, len(b), 4096)]; time.sleep(60)"`,
          ),
        },
      },
    ]);
    const run = await runPilot(devPilotArgs(server, credentials, work, ['--stalled-seconds', '2', '--kill-grace', '1']));
    expect(run.code, run.stderr).toBe(0);
    // The watchdog's kill, or the kernel's first where the node delegates a job cgroup: both name the memory limit.
    expect(server.jobs()[0]).toMatchObject({
      status: 'Failed',
      minorStatus: expect.stringMatching(/^Memory limit exceeded(: killed by the kernel OOM killer)?$/),
    });
  });

  it('lets the kernel enforce the memory share in a job cgroup, where the node delegates one', async (ctx) => {
    const { createJobCgroup } = await import('../../src/payload/cgroup.js');
    const probe = await createJobCgroup(process.pid, 64, (await import('../../src/core/logger.js')).silentLogger());
    if (!probe) {
      console.warn('[payload-jobs] cgroup test skipped: this node does not delegate a memory cgroup');
      ctx.skip();
      return;
    }
    await probe.remove();
    const { server, credentials, work } = await start([
      {
        fields: { JobName: 'hog-fast', Executable: 'hog.sh', MaxRAM: 64, ...std },
        inputFiles: {
          'hog.sh': script(`grep -h . /proc/self/cgroup | grep -c dirac-pilot
python3 -c "b = bytearray(400 * 1024 * 1024); [b.__setitem__(i, 1) for i in range(0, len(b), 4096)]"`),
        },
      },
    ]);
    // The watchdog samples only every 10 s here: the kernel acts first, and the minor status says why.
    let pilotPid = 0;
    const run = await runPilot(devPilotArgs(server, credentials, work, ['--kill-grace', '1']), { onSpawn: (pid) => (pilotPid = pid) });
    expect(run.code, run.stderr).toBe(0);
    expect(server.jobs()[0]).toMatchObject({ status: 'Failed', minorStatus: 'Memory limit exceeded: killed by the kernel OOM killer' });
    expect(server.jobs()[0]!.parameters).toMatchObject({ JobEndCause: 'oom-kill', JobEndCode: 214 });
    expect(await stdoutOf(server, server.jobs()[0]!.id)).toMatch(/^1\n/);
    expect(readdirSync(path.dirname(probe.dir)).filter((d) => d.startsWith(`dirac-pilot${pilotPid}-`))).toEqual([]);
  });

  it('kills a job that floods its stdout', async () => {
    const { server, credentials, work } = await start([
      {
        fields: { JobName: 'chatty', Executable: 'chatty.sh', ...std },
        inputFiles: { 'chatty.sh': script('yes "all work and no play" | head -c 50000000\nsleep 30') },
      },
    ]);
    const run = await runPilot(
      devPilotArgs(server, credentials, work, ['--max-stdout-mb', '1', '--stalled-seconds', '2', '--kill-grace', '1']),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(server.jobs()[0]).toMatchObject({ status: 'Failed', minorStatus: 'Standard output exceeded limit' });
  });

  it('kills a stalled job', async () => {
    const { server, credentials, work } = await start([
      { fields: { JobName: 'idle', Executable: 'idle.sh', ...std }, inputFiles: { 'idle.sh': script('sleep 120') } },
    ]);
    const run = await runPilot(devPilotArgs(server, credentials, work, ['--stalled-seconds', '2', '--kill-grace', '1']));
    expect(run.code, run.stderr).toBe(0);
    expect(server.jobs()[0]).toMatchObject({ status: 'Failed', minorStatus: 'Watchdog identified this job as stalled' });
  });
});

describe('the job owner token', () => {
  it('reaches only a job that asks for it, as a 0600 file outside the job directory, removed after', async () => {
    const probe =
      '#!/bin/sh\nif [ -n "${BEARER_TOKEN_FILE:-}" ]; then echo "token file: $BEARER_TOKEN_FILE"; stat -c "mode=%a" "$BEARER_TOKEN_FILE"; echo "parts=$(tr -cd . < "$BEARER_TOKEN_FILE" | wc -c)"; else echo "no token"; fi\n';
    const { server, credentials, work } = await start([
      { fields: { JobName: 'asks', Executable: 't.sh', PayloadToken: 'True', ...std }, inputFiles: { 't.sh': probe } },
      { fields: { JobName: 'silent', Executable: 't.sh', ...std }, inputFiles: { 't.sh': probe } },
    ]);
    const run = await runPilot(devPilotArgs(server, credentials, work, ['-P', '1']));
    expect(run.code, run.stderr).toBe(0);
    const [asks, silent] = await Promise.all(server.jobs().map((j) => stdoutOf(server, j.id)));
    expect(asks).toMatch(new RegExp(`^token file: ${work}/tokens/job-\\d+\nmode=600\nparts=2\n`));
    expect(silent).toBe('no token\n');
    expect(readdirSync(path.join(work, 'tokens'))).toEqual([]);
  });
});

/** The std.out a job returned in its output sandbox. */
async function stdoutOf(server: DevServer, id: number): Promise<string> {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'o.tar.zst'), server.outputSandbox(id)!);
  await extractSandbox(path.join(dir, 'o.tar.zst'), path.join(dir, 'x'));
  return readFileSync(path.join(dir, 'x', 'std.out'), 'utf8');
}

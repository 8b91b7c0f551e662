import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer, type JobSubmission } from '../../src/devserver/index.js';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { PILOT_BUNDLE, tempDir, waitFor as waitUntil } from '../integration/pilot-process.js';

/** A real single-node Slurm (.ci/start-slurm.sh) is required; without it the reason is printed. */
function slurmProblem(): string | null {
  try {
    execFileSync('sinfo', ['-h'], { stdio: 'pipe', timeout: 10_000 });
  } catch (error) {
    return `Slurm is not running (sinfo: ${(error as Error).message.split('\n')[0]}); start it with .ci/start-slurm.sh`;
  }
  try {
    execFileSync('unshare', ['-n', '--', 'true'], { stdio: 'pipe' });
  } catch {
    return 'unshare -n is not permitted here (needs root or user namespaces)';
  }
  return null;
}
const problem = slurmProblem();
if (problem) console.warn(`[edge-slurm] skipped: ${problem}`);

const NAME_PREFIX = `dirac-edge-test${process.pid}`;
let server: DevServer | undefined;
const pilots: ChildProcess[] = [];

afterEach(async () => {
  for (const child of pilots.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await server?.close();
  server = undefined;
});
afterAll(() => {
  // Nothing this suite submitted outlives it.
  try {
    const ids = execFileSync('squeue', ['-h', '-o', '%i %j'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('dirac-edge-'))
      .map((l) => l.split(' ')[0]!);
    if (ids.length > 0) execFileSync('scancel', ids);
  } catch {
    // Slurm gone: nothing to cancel
  }
});

interface EdgeRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; stderr: string }>;
}

function startEdge(url: string, credentials: string, edgeDir: string, workDir: string, extra: string[] = []): EdgeRun {
  const child = spawn(
    process.execPath,
    [
      PILOT_BUNDLE,
      'run',
      '--edge',
      '--edge-dir',
      edgeDir,
      '--work-dir',
      workDir,
      '--diracx-url',
      url,
      '--credentials',
      credentials,
      '--wnVO',
      'demo',
      '-n',
      'DIRAC.Edge.local',
      '-N',
      'edge-ce.local',
      '-Q',
      'ci',
      '--cpu-power-source',
      'config',
      '--cpu-power',
      '10',
      '-T',
      '86400',
      '--runner',
      'direct',
      '--edge-cpus',
      '1',
      '--edge-memory-mb',
      '500',
      '--edge-time-limit',
      '10',
      '--heartbeat',
      '1',
      '--PollingTime',
      '0.5',
      '--edge-compute-prefix',
      'unshare -n --',
      '--StopAfterFailedMatches',
      '3',
      '--pilotUUID',
      NAME_PREFIX.slice(0, 24),
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH } },
  );
  pilots.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return { child, done };
}

async function setup(jobs: JobSubmission[]) {
  server = await startDevServer({ jobs });
  const dir = tempDir('edge-it-');
  const credentials = path.join(dir, 'credentials.json');
  await server.writePilotCredentials(credentials);
  return { server, credentials, edgeDir: path.join(dir, 'shared'), workDir: path.join(dir, 'edge-work') };
}

/** waitFor with this suite's patience, saying what the server and Slurm saw on timeout. */
function waitFor<T>(what: string, fn: () => T | undefined | false | null, timeoutMs = 150_000): Promise<T> {
  return waitUntil(what, fn, timeoutMs, () => {
    const queue = execFileSync('squeue', ['-h', '-o', '%i %j %t %r'], { encoding: 'utf8' });
    return `jobs: ${JSON.stringify(server?.jobs().map((j) => [j.id, j.status, j.minorStatus]))}; squeue: ${queue}`;
  });
}

const std = { StdOutput: 'std.out', StdError: 'std.err' };
/** A payload that reports whether it can reach the dev server: on a compute node it must not. */
const networkProbe = (port: number) => `#!/bin/sh
if python3 -c "import socket; socket.create_connection(('127.0.0.1', ${port}), timeout=2)" 2>/dev/null; then echo "network: reachable"; else echo "network: unreachable"; fi > net.txt
echo "job $DIRACJOBID on $(hostname) with $DIRAC_JOB_PROCESSORS processor(s)"
`;

describe.skipIf(problem !== null)('edge mode under the real Slurm', { timeout: 240_000 }, () => {
  beforeAll(() => {
    expect(existsSync(PILOT_BUNDLE)).toBe(true);
  });

  it('runs grouped jobs in one allocation with the network cut, relaying statuses and output sandboxes', async () => {
    const port = 0; // filled below once the server listens
    const { server, credentials, edgeDir, workDir } = await setup([]);
    const serverPort = Number(new URL(server.url).port);
    for (const n of [1, 2]) {
      server.submitJob({
        fields: { JobName: `grouped-${n}`, Executable: 'net.sh', ...std, OutputSandbox: ['net.txt', 'std.out', 'std.err'] },
        inputFiles: { 'net.sh': networkProbe(serverPort || port) },
      });
    }
    const edge = startEdge(server.url, credentials, edgeDir, workDir, ['--edge-group-size', '2']);
    const { code, stderr } = await edge.done;
    expect(code, stderr).toBe(0);

    const jobs = server.jobs();
    expect(jobs.map((j) => j.status)).toEqual(['Done', 'Done']);
    // Both jobs ran in one allocation.
    const batchIds = jobs.map((j) => JSON.parse(readFileSync(path.join(edgeDir, 'jobs', String(j.id), 'edge.json'), 'utf8')).batchJobId);
    expect(new Set(batchIds).size).toBe(1);
    for (const job of jobs) {
      // The JobAgent's reports come from the edge pilot, which matched the job; the rest from the compute node.
      const fromPilots = job.history.filter((h) => h.source.startsWith('JobAgent@') || h.source === 'JobWrapper').map((h) => h.minorStatus);
      expect(fromPilots).toEqual([
        'Job Received by Agent',
        'Installing Software',
        'Submitting To CE',
        'Job Initialization',
        'Application',
        'Application Finished Successfully',
        'Uploading Output Sandbox',
        'Output Sandbox Uploaded',
        'Execution Complete',
      ]);
      const out = tempDir();
      writeFileSync(path.join(out, 'o.tar.zst'), server.outputSandbox(job.id)!);
      await extractSandbox(path.join(out, 'o.tar.zst'), path.join(out, 'x'));
      expect(readFileSync(path.join(out, 'x', 'net.txt'), 'utf8')).toBe('network: unreachable\n');
    }
    expect(server.violations).toEqual([]);
  });

  it('gives a job back when its allocation is cancelled with scancel', async () => {
    const { server, credentials, edgeDir, workDir } = await setup([
      { fields: { JobName: 'cancelled', Executable: 'long.sh', ...std }, inputFiles: { 'long.sh': '#!/bin/sh\nsleep 120\n' } },
    ]);
    const edge = startEdge(server.url, credentials, edgeDir, workDir, ['--StopAfterFailedMatches', '1000']);
    const id = server.jobs()[0]!.id;
    await waitFor('the job to run', () => server.job(id)!.minorStatus === 'Application');
    const batchJobId = JSON.parse(readFileSync(path.join(edgeDir, 'jobs', String(id), 'edge.json'), 'utf8')).batchJobId as string;
    execFileSync('scancel', [batchJobId]);
    await waitFor('the job to be rescheduled', () => server.job(id)!.rescheduleCounter >= 1);
    edge.child.kill('SIGTERM');
    expect((await edge.done).code).toBe(143);
  });

  it('delivers a Kill from the server to the compute-side job', async () => {
    const { server, credentials, edgeDir, workDir } = await setup([
      { fields: { JobName: 'killed', Executable: 'long.sh', ...std }, inputFiles: { 'long.sh': '#!/bin/sh\nsleep 120\n' } },
    ]);
    const edge = startEdge(server.url, credentials, edgeDir, workDir);
    const id = server.jobs()[0]!.id;
    await waitFor('the job to run', () => server.job(id)!.minorStatus === 'Application');
    server.killJob(id);
    await waitFor('the kill file', () => existsSync(path.join(edgeDir, 'jobs', String(id), 'kill')));
    const { code } = await edge.done;
    expect(code).toBe(0);
    const job = server.job(id)!;
    expect(job.status).toBe('Killed');
    // The compute side's own reports reached the server too (its statuses after Killed are (SM)-rejected, as in DiracX).
    expect(job.history.some((h) => h.source.startsWith('JobWrapper'))).toBe(true);
  });

  it('picks up its jobs after being killed and restarted: nothing lost, nothing run twice', async () => {
    const { server, credentials, edgeDir, workDir } = await setup([
      {
        fields: { JobName: 'survivor', Executable: 'count.sh', ...std, OutputSandbox: ['std.out'] },
        inputFiles: { 'count.sh': '#!/bin/sh\necho run >> ../../../runs.log\nsleep 4\necho finished\n' },
      },
    ]);
    const first = startEdge(server.url, credentials, edgeDir, workDir);
    const id = server.jobs()[0]!.id;
    await waitFor('the job to run', () => server.job(id)!.minorStatus === 'Application');
    first.child.kill('SIGKILL');
    await first.done;
    const second = startEdge(server.url, credentials, edgeDir, workDir);
    const { code, stderr } = await second.done;
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/resumed 1 job/);
    const job = server.job(id)!;
    expect(job.status).toBe('Done');
    expect(job.history.filter((h) => h.status === 'Done')).toHaveLength(1);
    expect(readFileSync(path.join(edgeDir, 'runs.log'), 'utf8')).toBe('run\n');
    expect(readdirSync(path.join(edgeDir, 'groups'))).toHaveLength(1);
  });
});

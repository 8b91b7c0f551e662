// The time from SIGTERM to the pilot's exit while a job runs: the payload killed (TERM, then KILL
// after --kill-grace), the job rescheduled, the pilot gone with 143. It must fit well inside
// Slurm's KillWait (30 s), after which the batch system kills the pilot outright. The tests
// (tests/integration/payload-jobs.test.ts, slurm-sigterm.test.ts) assert the outcome; the time is
// measured here, against the pilot's own start-to-first-match as a baseline of the same machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDevServer, median, node, pilotBundle, round, spreadOf } from './pilot-harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function once(startDevServer) {
  const server = await startDevServer({
    jobs: [
      {
        fields: { JobName: 'long', Executable: 'long.sh', StdOutput: 'std.out', StdError: 'std.err' },
        inputFiles: { 'long.sh': '#!/bin/sh\nsleep 120\n' },
      },
    ],
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-shutdown-'));
  try {
    const credentials = path.join(dir, 'credentials.json');
    await server.writePilotCredentials(credentials);
    const args = [
      pilotBundle,
      'run',
      '--diracx-url',
      server.url,
      '--credentials',
      credentials,
      '--work-dir',
      path.join(dir, 'work'),
      '--wnVO',
      'demo',
      '-n',
      'DIRAC.Bench.local',
      '-T',
      '864000',
      '--cpu-power-source',
      'config',
      '--cpu-power',
      '10',
      '--runner',
      'direct',
      '-P',
      '1',
      '--PollingTime',
      '0.1',
    ];
    const started = Date.now();
    const child = spawn(node, args, { cwd: dir, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 120_000;
    while (server.jobs()[0]?.minorStatus !== 'Application') {
      if (Date.now() > deadline) throw new Error('the job did not start within 120 s');
      await sleep(50);
    }
    const running = Date.now() - started;
    const sent = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(60_000).then(() => 'timeout')]);
    if (code === 'timeout') child.kill('SIGKILL');
    if (code !== 143) throw new Error(`pilot exited ${code} after SIGTERM, expected 143`);
    return { shutdown: Date.now() - sent, running };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run({ runs, log }) {
  const { startDevServer } = loadDevServer();
  const samples = [];
  for (let i = 0; i < Math.max(3, Math.min(runs, 5)); i++) samples.push(await once(startDevServer));
  const shutdown = median(samples.map((s) => s.shutdown));
  const running = median(samples.map((s) => s.running));
  log(`SIGTERM to exit: ${round(shutdown)} ms (start to a running job: ${round(running)} ms)`);
  return [
    {
      name: 'SIGTERM to exit with a job running (job rescheduled, exit 143)',
      value: round(shutdown),
      unit: 'ms',
      baseline: round(running),
      baselineName: 'pilot start to its job running, ms',
      ratio: round(shutdown / running),
      target: '< 25000 ms (Slurm KillWait 30 s)',
      pass: shutdown < 25_000,
      spread: spreadOf(
        samples.map((s) => s.shutdown),
        'ms',
      ),
    },
  ];
}

// Cost of the per-payload namespace chain (hide-secrets.ts): /bin/true through the direct runner,
// N times, with the pilot's credentials hidden, without and with the job's private view of the
// shared jobs/tokens directories. Run: npx vite-node bench/job-view.bench.ts
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../src/core/logger.js';
import { startPayload } from '../src/payload/runner/index.js';

const N = Number(process.env.N ?? 30);
const root = mkdtempSync(path.join(tmpdir(), 'job-view-bench-'));
const creds = path.join(root, 'creds.json');
writeFileSync(creds, 'x', { mode: 0o600 });
const work = path.join(root, 'work');
mkdirSync(path.join(work, 'tokens'), { recursive: true });
const limits = {
  sampleIntervalMs: 1000,
  wallClockSeconds: null,
  cpuSeconds: null,
  memoryMB: null,
  minDiskMB: null,
  maxStdoutBytes: null,
  stalled: null,
  loopingSeconds: null,
  killGraceMs: 200,
};

async function run(withAreas: boolean): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const jobDir = path.join(work, 'jobs', String(i));
    mkdirSync(jobDir, { recursive: true });
    const t = performance.now();
    await startPayload({
      jobId: i,
      argv: ['/bin/true'],
      cwd: jobDir,
      env: { PATH: '/usr/bin:/bin' },
      stdoutFile: 'std.out',
      stderrFile: 'std.err',
      runner: { kind: 'direct' },
      limits,
      logger: silentLogger(),
      secretFiles: { files: [creds] },
      ...(withAreas
        ? {
            privateAreas: [
              { dir: path.join(work, 'jobs'), keep: String(i) },
              { dir: path.join(work, 'tokens'), keep: `job-${i}` },
            ],
          }
        : {}),
    }).done;
    times.push(performance.now() - t);
    rmSync(jobDir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

await run(false); // builds the holder once
const without = await run(false);
const withView = await run(true);
console.log(
  JSON.stringify({
    n: N,
    medianMsHiddenCredentialsOnly: Math.round(without * 10) / 10,
    medianMsWithJobView: Math.round(withView * 10) / 10,
  }),
);
rmSync(root, { recursive: true, force: true });

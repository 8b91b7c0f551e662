import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSlurmDuration } from '../../src/probes/batch/timeleft/time-format.js';

// Needs the single-node Slurm that .ci/start-slurm.sh starts (CI runs it before the tests).
const here = path.dirname(fileURLToPath(import.meta.url));

function slurmUnavailableReason(): string | null {
  try {
    const state = execFileSync('sinfo', ['-h', '-o', '%T'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    if (!/\b(idle|mixed|allocated)\b/.test(state)) return `no usable Slurm node (sinfo says '${state || 'nothing'}')`;
    return null;
  } catch (error) {
    return `Slurm is not running here (${(error as Error).message.split('\n')[0]}); start it with .ci/start-slurm.sh`;
  }
}

const skipReason = slurmUnavailableReason();
if (skipReason) console.log(`tests/slurm skipped: ${skipReason}`);

const slurm = (args: string[]): string => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8', timeout: 15_000 });

async function waitForFile(file: string, jobId: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // not written yet
    }
    if (text.trim().endsWith('}')) return text;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  let state = '';
  try {
    state = execFileSync('squeue', ['-h', '-j', jobId, '-o', '%T %r'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    // job already gone
  }
  throw new Error(`job ${jobId} wrote no report to ${file} within ${timeoutMs / 1000} s (squeue: '${state || 'gone'}')`);
}

describe.skipIf(skipReason !== null)('time left inside a real Slurm job', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'slurm-timeleft-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('matches what scontrol says about the job: limit, time used, CPU work left', async () => {
    const script = path.join(work, 'job-script');
    await build({
      entryPoints: [path.join(here, 'timeleft-job.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: path.join(work, 'bundle.mjs'),
      logLevel: 'silent',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    // sbatch runs any script with a #! line: the bundle itself is the job, with this Node as interpreter.
    // The job script is copied into Slurm's spool, so it loads the ESM bundle by absolute path.
    writeFileSync(script, `#!${process.execPath}\nimport(${JSON.stringify(path.join(work, 'bundle.mjs'))});\n`);
    chmodSync(script, 0o755);
    const output = path.join(work, 'report.json');

    // Two processors exercise the fill-ins (CPU limit = wall limit x processors) where the node has them.
    const nodeCpus = Number(slurm(['sinfo', '-h', '-o', '%c']).trim().split('\n')[0]) || 1;
    const cpusPerTask = Math.min(2, nodeCpus);
    const jobId = slurm([
      'sbatch',
      '--parsable',
      '--time=5:00',
      `--cpus-per-task=${cpusPerTask}`,
      `--output=${output}`,
      '--job-name=pilot-timeleft-test',
      script,
    ])
      .trim()
      .split(';')[0] as string;
    try {
      const { timeLeft, work: workLeft } = JSON.parse(await waitForFile(output, jobId, 60_000));
      const job = slurm(['scontrol', 'show', 'job', jobId]);
      const field = (name: string): string => new RegExp(`\\b${name}=(\\S+)`).exec(job)?.[1] ?? '';
      const limit = parseSlurmDuration(field('TimeLimit'));
      const runTime = parseSlurmDuration(field('RunTime')) as number;
      const cpus = Number(field('NumCPUs'));

      expect(limit).toBe(300);
      expect(timeLeft.system).toBe('slurm');
      // Accounting storage is off on the CI Slurm: sacct fails and scontrol answers.
      expect(['slurm:sacct', 'slurm:scontrol']).toContain(timeLeft.source);
      if (timeLeft.source === 'slurm:scontrol') expect(timeLeft.attempts[0].source).toBe('slurm:sacct');
      expect(timeLeft.usage.WallClockLimit).toBe(limit);
      expect(timeLeft.usage.CPULimit).toBe(300 * cpus);
      expect(cpus).toBe(cpusPerTask);
      expect(timeLeft.processors).toBe(cpus);
      // Read after a 2 s wait, before the job ended.
      expect(timeLeft.usage.WallClock).toBeGreaterThanOrEqual(1);
      expect(timeLeft.usage.WallClock).toBeLessThanOrEqual(runTime);
      expect(timeLeft.secondsLeft).toBe(300 - timeLeft.usage.WallClock);
      expect(workLeft).toMatchObject({ rule: 'plain', work: (300 - timeLeft.usage.WallClock) * 10 });
    } finally {
      try {
        slurm(['scancel', jobId]);
      } catch {
        // already gone
      }
    }
  });
});

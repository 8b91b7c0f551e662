import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

// Needs the single-node Slurm that .ci/start-slurm.sh starts (CI runs it before the tests).
const here = path.dirname(fileURLToPath(import.meta.url));

function slurmUnavailableReason(): string | null {
  try {
    const state = execFileSync('sinfo', ['-h', '-o', '%T'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    return /\b(idle|mixed)\b/.test(state) ? null : `no idle Slurm node (sinfo says '${state || 'nothing'}')`;
  } catch (error) {
    return `Slurm is not running here (${(error as Error).message.split('\n')[0]}); start it with .ci/start-slurm.sh`;
  }
}

const skipReason = slurmUnavailableReason();
if (skipReason) console.log(`src/probes/batch/slurm-live.test.ts skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('probeNode inside a real Slurm job', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'slurm-probe-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('finds the job, its allocation and its reference as scontrol describes them', async () => {
    const entry = path.join(work, 'entry.ts');
    const output = path.join(work, 'probe.json');
    writeFileSync(
      entry,
      `import { writeFileSync } from 'node:fs';
import { probeNode } from ${JSON.stringify(path.join(here, '..', 'index.ts'))};
probeNode({ workDir: ${JSON.stringify(work)} }).then((probe) => writeFileSync(${JSON.stringify(output)}, JSON.stringify(probe)));
`,
    );
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: path.join(work, 'bundle.cjs'),
      logLevel: 'silent',
    });
    // sbatch copies the script into its spool: the script loads the bundle by absolute path.
    const script = path.join(work, 'job-script');
    writeFileSync(script, `#!${process.execPath}\nrequire(${JSON.stringify(path.join(work, 'bundle.cjs'))});\n`);
    chmodSync(script, 0o755);
    const jobId = execFileSync(
      'sbatch',
      [
        '--parsable',
        '--time=2:00',
        '--cpus-per-task=1',
        '--mem=200',
        '--job-name=pilot-probe-test',
        `--output=${path.join(work, 'job.out')}`,
        script,
      ],
      {
        encoding: 'utf8',
        timeout: 15_000,
      },
    )
      .trim()
      .split(';')[0] as string;

    let text = '';
    for (let waited = 0; waited < 60_000 && !text.endsWith('}'); waited += 500) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      try {
        text = readFileSync(output, 'utf8');
      } catch {
        // not written yet
      }
    }
    expect(
      text.endsWith('}')
        ? 'written'
        : `job ${jobId} wrote nothing: ${(() => {
            try {
              return readFileSync(path.join(work, 'job.out'), 'utf8');
            } catch {
              return '';
            }
          })()}`,
    ).toBe('written');
    const probe = JSON.parse(text);
    const job = execFileSync('scontrol', ['show', 'job', jobId], { encoding: 'utf8', timeout: 15_000 });
    const field = (name: string): string => new RegExp(`\\b${name}=(\\S+)`).exec(job)?.[1] ?? '';
    const submitHost = execFileSync('hostname', ['-s'], { encoding: 'utf8' }).trim();

    expect(probe.batch).toMatchObject({ system: 'slurm', jobId, allocatedCpus: Number(field('NumCPUs')), allocatedMemoryMB: 200 });
    expect(probe.batch.pilotReference).toMatch(new RegExp(`^sshslurm://(${submitHost}|[\\w.-]+)/${jobId}$`));
    expect(probe.cpu.allocatedCpus).toBe(Number(field('NumCPUs')));
    expect(probe.memory.allocatedMB).toBe(200);
  }, 90_000);
});

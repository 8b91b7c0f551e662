import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchNotifier } from '../../src/batch-notify/notifier.js';
import { batchTargets } from '../../src/batch-notify/targets.js';
import { silentLogger } from '../../src/core/logger.js';

// Needs the single-node Slurm that .ci/start-slurm.sh starts (CI runs it before the tests).
function slurmUnavailableReason(): string | null {
  try {
    execFileSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return null;
  } catch (error) {
    return `Slurm is not running here (${(error as Error).message.split('\n')[0]}); start it with .ci/start-slurm.sh`;
  }
}
const skipReason = slurmUnavailableReason();
if (skipReason) console.log(`tests/slurm/batch-comment skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('the Slurm job comment names what runs in the slot', () => {
  const submitted: string[] = [];
  afterAll(() => {
    for (const id of submitted) execFileSync('scancel', [id], { timeout: 10_000 });
  });

  it('scontrol update sets it, and scontrol show job reads it back', async () => {
    // A held job is enough: the comment belongs to the job record, running or not.
    const jobId = execFileSync('sbatch', ['--parsable', '--hold', '--time=1:00', '--job-name=pilot-comment-test', '--wrap=sleep 1'], {
      encoding: 'utf8',
      timeout: 15_000,
    })
      .trim()
      .split(';')[0] as string;
    submitted.push(jobId);
    const targets = batchTargets({ ...process.env, SLURM_JOB_ID: jobId });
    expect(targets.map((t) => t.name)).toEqual(['slurm-comment']);
    const notifier = new BatchNotifier({ targets, pilotStamp: 'stamp-9', vo: 'gridpp', logger: silentLogger() });
    notifier.jobState(101, 'Running');
    notifier.jobState(102, 'Matched');
    await notifier.idle();
    const record = execFileSync('scontrol', ['show', 'job', jobId], { encoding: 'utf8', timeout: 10_000 });
    expect(/Comment=(.*)/.exec(record)?.[1]?.trim()).toBe('DIRAC pilot stamp-9 vo=gridpp jobs=101:Running,102:Matched');
    expect(notifier.active).toEqual(['slurm-comment']);
  });
});

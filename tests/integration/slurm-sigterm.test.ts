import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { PILOT_BUNDLE, devPilotArgs, devPilotFiles, waitFor } from './pilot-process.js';

function slurmProblem(): string | null {
  try {
    execFileSync('sinfo', ['-h'], { stdio: 'pipe', timeout: 10_000 });
    return null;
  } catch (error) {
    return `Slurm is not running (sinfo: ${(error as Error).message.split('\n')[0]}); start it with .ci/start-slurm.sh`;
  }
}
const problem = slurmProblem();
if (problem) console.warn(`[slurm-sigterm] skipped: ${problem}`);

let server: DevServer | undefined;
let batchJob: string | undefined;
afterEach(async () => {
  if (batchJob) execFileSync('scancel', [batchJob]);
  batchJob = undefined;
  await server?.close();
  server = undefined;
});

describe.skipIf(problem !== null)('the pilot as a Slurm job', { timeout: 240_000 }, () => {
  it('on SIGTERM from Slurm (as at the time limit) reschedules its job and exits 143 by itself', async () => {
    server = await startDevServer({
      jobs: [
        {
          fields: { JobName: 'long', Executable: 'long.sh', StdOutput: 'std.out', StdError: 'std.err' },
          inputFiles: { 'long.sh': '#!/bin/sh\nsleep 300\n' },
        },
      ],
    });
    const { dir, credentials, work } = await devPilotFiles(server, 'slurm-sigterm-');
    const rcFile = path.join(dir, 'pilot.rc');
    const args = devPilotArgs(server, credentials, work)
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    // The batch shell ignores TERM so it can record the pilot's exit code, as a CE's wrapper would.
    const script = path.join(dir, 'pilot.sh');
    writeFileSync(
      script,
      `#!/bin/sh\ntrap '' TERM\n'${process.execPath}' '${PILOT_BUNDLE}' ${args}\necho $? > '${rcFile}.tmp' && mv '${rcFile}.tmp' '${rcFile}'\n`,
      { mode: 0o700 },
    );
    batchJob = execFileSync(
      'sbatch',
      ['--parsable', '--time=10', '--job-name=pilot-sigterm-test', `--output=${path.join(dir, 'slurm.out')}`, script],
      { encoding: 'utf8' },
    )
      .trim()
      .split(';')[0]!;

    const id = server.jobs()[0]!.id;
    await waitFor('the job to run', () => server!.job(id)!.minorStatus === 'Application', 150_000);
    execFileSync('scancel', ['--signal=TERM', '--full', batchJob]);
    // Bounded wait; the time itself (SIGTERM to exit) is measured in bench/shutdown.bench.mjs.
    await waitFor('the pilot to exit', () => existsSync(rcFile), 30_000);

    // 143: the pilot ended by itself on TERM, not by Slurm's KILL after KillWait.
    expect(Number(readFileSync(rcFile, 'utf8').trim())).toBe(ExitCode.SIGNAL_BASE + 15);
    const job = server.job(id)!;
    expect(job.rescheduleCounter).toBe(1);
    expect(job.history.map((h) => h.minorStatus)).toContain('Job Rescheduled');
  });
});

import { describe, expect, it } from 'vitest';
import { FAILURE_CAUSES } from '../../src/payload/failure-causes.js';
import { devServerPerTest, runDevPilot } from './pilot-process.js';

const start = devServerPerTest();

const std = { StdOutput: 'std.out', StdError: 'std.err', OutputSandbox: ['std.out', 'std.err'] };

describe('every way a job ends has its minor status, application status and code (docs/failure-causes.md)', () => {
  it('a wall-clock kill, a failing payload and a good one, through the real pilot', async () => {
    const pilot = await start({
      jobs: [
        {
          fields: { JobName: 'too-long', Executable: 'slow.sh', MaxWallTime: 2, ...std },
          inputFiles: { 'slow.sh': '#!/bin/sh\nsleep 60\n' },
        },
        { fields: { JobName: 'fails', Executable: 'fail.sh', ...std }, inputFiles: { 'fail.sh': '#!/bin/sh\nexit 3\n' } },
        { fields: { JobName: 'good', Executable: 'ok.sh', ...std }, inputFiles: { 'ok.sh': '#!/bin/sh\necho ok\n' } },
      ],
    });
    const { server } = pilot;
    const run = await runDevPilot(pilot, ['-P', '3', '--stalled-seconds', '10', '--kill-grace', '1']);
    expect(run.code, run.stderr).toBe(0);
    const byName = Object.fromEntries(server.jobs().map((j) => [/JobName = "([^"]+)"/.exec(j.jdl)?.[1] ?? String(j.id), j]));
    const ended = (name: string) => {
      const job = byName[name]!;
      return {
        status: job.status,
        minor: job.minorStatus,
        application: job.applicationStatus,
        code: job.parameters.JobEndCode,
        cause: job.parameters.JobEndCause,
      };
    };
    const wall = FAILURE_CAUSES['watchdog-wallclock'];
    expect(ended('too-long')).toEqual({
      status: 'Failed',
      minor: wall.minorStatus,
      application: wall.applicationStatus,
      code: wall.code,
      cause: 'watchdog-wallclock',
    });
    expect(ended('fails')).toEqual({
      status: 'Failed',
      minor: 'Application Finished With Errors',
      application: 'Failed (exit code 3)',
      code: 201,
      cause: 'application-errors',
    });
    expect(ended('good')).toEqual({ status: 'Done', minor: 'Execution Complete', application: 'Finished', code: 0, cause: 'done' });
  });

  it("DiracX: an output sandbox over the store's limit is refused (400) and, with no data service to take it, the job fails", async () => {
    // DiracX has no data management: DIRAC's OutputSandboxLFN path (docs/data.md) has nothing to upload to.
    const pilot = await start({
      sandboxMaxBytes: 64 * 1024,
      jobs: [
        {
          fields: { JobName: 'big', Executable: 'big.sh', ...std, OutputSandbox: ['big.bin', 'std.out'] },
          inputFiles: { 'big.sh': '#!/bin/sh\nhead -c 262144 /dev/urandom > big.bin\n' },
        },
      ],
    });
    const { server } = pilot;
    const run = await runDevPilot(pilot);
    expect(run.code, run.stderr).toBe(0);
    const [job] = server.jobs();
    const upload = FAILURE_CAUSES['output-upload'];
    expect({ status: job!.status, minor: job!.minorStatus, code: job!.parameters.JobEndCode }).toEqual({
      status: 'Failed',
      minor: upload.minorStatus,
      code: upload.code,
    });
    expect(job!.parameters.OutputSandboxLFN).toBeUndefined();
  });
});

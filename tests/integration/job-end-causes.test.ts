import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { FAILURE_CAUSES } from '../../src/payload/failure-causes.js';
import { devPilotArgs, runPilot, tempDir } from './pilot-process.js';

let server: DevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const std = { StdOutput: 'std.out', StdError: 'std.err', OutputSandbox: ['std.out', 'std.err'] };

describe('every way a job ends has its minor status, application status and code (docs/failure-causes.md)', () => {
  it('a wall-clock kill, a failing payload and a good one, through the real pilot', async () => {
    server = await startDevServer({
      jobs: [
        { fields: { JobName: 'too-long', Executable: 'slow.sh', MaxWallTime: 2, ...std }, inputFiles: { 'slow.sh': '#!/bin/sh\nsleep 60\n' } },
        { fields: { JobName: 'fails', Executable: 'fail.sh', ...std }, inputFiles: { 'fail.sh': '#!/bin/sh\nexit 3\n' } },
        { fields: { JobName: 'good', Executable: 'ok.sh', ...std }, inputFiles: { 'ok.sh': '#!/bin/sh\necho ok\n' } },
      ],
    });
    const dir = tempDir();
    const credentials = path.join(dir, 'credentials.json');
    await server.writePilotCredentials(credentials);
    const run = await runPilot(devPilotArgs(server, credentials, path.join(dir, 'work'), ['-P', '3', '--stalled-seconds', '10', '--kill-grace', '1']));
    expect(run.code, run.stderr).toBe(0);
    const byName = Object.fromEntries(server.jobs().map((j) => [/JobName = "([^"]+)"/.exec(j.jdl)?.[1] ?? String(j.id), j]));
    const ended = (name: string) => {
      const job = byName[name]!;
      return { status: job.status, minor: job.minorStatus, application: job.applicationStatus, code: job.parameters.JobEndCode, cause: job.parameters.JobEndCause };
    };
    const wall = FAILURE_CAUSES['watchdog-wallclock'];
    expect(ended('too-long')).toEqual({ status: 'Failed', minor: wall.minorStatus, application: wall.applicationStatus, code: wall.code, cause: 'watchdog-wallclock' });
    expect(ended('fails')).toEqual({
      status: 'Failed', minor: 'Application Finished With Errors', application: 'Failed (exit code 3)', code: 201, cause: 'application-errors',
    });
    expect(ended('good')).toEqual({ status: 'Done', minor: 'Execution Complete', application: 'Finished', code: 0, cause: 'done' });
  });

  it('DiracX: an output sandbox over the store\'s limit is refused (400) and, with no data service to take it, the job fails', async () => {
    // DiracX has no data management: DIRAC's OutputSandboxLFN path (docs/data.md) has nothing to upload to.
    server = await startDevServer({
      sandboxMaxBytes: 64 * 1024,
      jobs: [{ fields: { JobName: 'big', Executable: 'big.sh', ...std, OutputSandbox: ['big.bin', 'std.out'] }, inputFiles: { 'big.sh': '#!/bin/sh\nhead -c 262144 /dev/urandom > big.bin\n' } }],
    });
    const dir = tempDir();
    const credentials = path.join(dir, 'credentials.json');
    await server.writePilotCredentials(credentials);
    const run = await runPilot(devPilotArgs(server, credentials, path.join(dir, 'work')));
    expect(run.code, run.stderr).toBe(0);
    const [job] = server.jobs();
    const upload = FAILURE_CAUSES['output-upload'];
    expect({ status: job!.status, minor: job!.minorStatus, code: job!.parameters.JobEndCode }).toEqual({ status: 'Failed', minor: upload.minorStatus, code: upload.code });
    expect(job!.parameters.OutputSandboxLFN).toBeUndefined();
  });
});

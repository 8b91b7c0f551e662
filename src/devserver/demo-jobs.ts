import { createHash } from 'node:crypto';
import type { JobStatus } from '../backend/types.js';
import type { JobSubmission } from './submission.js';

export interface DemoJob extends JobSubmission {
  /** What the demo summary checks the job ended as. */
  expect: { status: JobStatus; note: string };
}

/** The input the checksum job reads: fixed, so its expected digest is known in advance. */
export const CHECKSUM_INPUT = 'DIRAC pilot demo input sandbox\n'.repeat(512);
export const CHECKSUM_INPUT_SHA256 = createHash('sha256').update(CHECKSUM_INPUT).digest('hex');

const std = { StdOutput: 'std.out', StdError: 'std.err' };

/**
 * The demo set: every job ships its executable as a shell script in its input sandbox, as a
 * user would with `Executable = "hello.sh"`. Scripts are POSIX sh so any container image runs them.
 */
export function demoJobs(): DemoJob[] {
  return [
    {
      fields: {
        JobName: 'hello-world',
        JobType: 'User',
        Executable: 'hello.sh',
        Arguments: 'world',
        ...std,
        OutputSandbox: ['hello.txt', 'std.out', 'std.err'],
        CPUTime: 600,
      },
      inputFiles: {
        'hello.sh': '#!/bin/sh\nset -eu\necho "Hello, ${1:-nobody}, from $(hostname)"\necho "hello ${1:-nobody}" > hello.txt\n',
      },
      expect: { status: 'Done', note: 'hello.txt in the output sandbox' },
    },
    {
      fields: {
        JobName: 'checksum-input',
        JobType: 'User',
        Executable: 'checksum.sh',
        ...std,
        OutputSandbox: ['checksum.txt', 'std.out', 'std.err'],
        CPUTime: 600,
      },
      inputFiles: {
        'checksum.sh': '#!/bin/sh\nset -eu\nsha256sum input.dat | tee checksum.txt\n',
        'input.dat': CHECKSUM_INPUT,
      },
      expect: { status: 'Done', note: `checksum.txt starts with ${CHECKSUM_INPUT_SHA256}` },
    },
    {
      fields: {
        JobName: 'multi-processor',
        JobType: 'User',
        Executable: 'mp.sh',
        ...std,
        OutputSandbox: ['std.out', 'std.err'],
        NumberOfProcessors: 2,
        CPUTime: 600,
      },
      inputFiles: {
        'mp.sh':
          '#!/bin/sh\necho "DIRAC_JOB_PROCESSORS=${DIRAC_JOB_PROCESSORS:-unset}"\necho "nproc=$(nproc 2>/dev/null || echo unknown)"\n',
      },
      expect: { status: 'Done', note: 'std.out shows DIRAC_JOB_PROCESSORS=2' },
    },
    {
      fields: {
        JobName: 'exit-code-3',
        JobType: 'User',
        Executable: 'fail.sh',
        ...std,
        OutputSandbox: ['std.out', 'std.err'],
        CPUTime: 600,
      },
      inputFiles: { 'fail.sh': '#!/bin/sh\necho "failing on purpose" >&2\nexit 3\n' },
      expect: { status: 'Failed', note: 'exit code 3 in the minor or application status' },
    },
    {
      fields: {
        JobName: 'sleep-2s',
        JobType: 'User',
        Executable: 'sleep.sh',
        Arguments: '2',
        ...std,
        OutputSandbox: ['std.out', 'std.err'],
        CPUTime: 600,
      },
      inputFiles: { 'sleep.sh': '#!/bin/sh\nset -eu\nsleep "${1:-2}"\necho "slept ${1:-2} s"\n' },
      expect: { status: 'Done', note: 'ran about 2 s' },
    },
  ];
}

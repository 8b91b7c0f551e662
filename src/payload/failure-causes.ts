/*
 * Why a job did not end Done, and whose fault that is. A pilot that counted a job's own mistakes
 * (a refused sandbox, an LFN input, a StdOutput naming a directory) as node failures would declare
 * itself a black hole after three of them: any user could take pilots down, and the honest jobs
 * queued behind would never run. Only failures of the node or the pilot count. The table is
 * documented in docs/failure-causes.md; src/payload/failure-causes.test.ts holds the two together.
 */

import type { KillReason } from './watchdog/kill-reasons.js';

/**
 * - `application`: the payload ran and failed (non-zero exit, killed by a watchdog limit);
 * - `job`: the job's own input or request (its description, sandbox, paths, what it asks for)
 *   could not be honoured; the payload did not run;
 * - `node`: the node, the pilot or the services it depends on failed the job;
 * - `killed`: the server killed it; `pilot-stopped`: the pilot stopped and gave it back.
 */
export type FailureKind = 'application' | 'job' | 'node' | 'killed' | 'pilot-stopped';

/** What becomes of the job: Failed, given back to the queue (Rescheduled), or Killed by the server. */
export type FailureThen = 'fail' | 'reschedule' | 'killed';

export interface FailureCause {
  kind: FailureKind;
  /** The minor status reported, or its fixed start when a detail follows (`…: <detail>`). */
  minorStatus: string;
  /** The ApplicationStatus reported with the final status. */
  applicationStatus: string;
  /**
   * This pilot's numeric code for the cause, sent as the `JobEndCode` job parameter (with the cause
   * as `JobEndCause`), so that monitoring can count causes without parsing minor statuses. DIRAC has
   * no such codes; the blocks are 1xx the job's input, 2xx the payload and its limits, 3xx the node
   * and the container, 4xx the job taken away (server kill, pilot stopped, slot ended).
   */
  code: number;
  then: FailureThen;
}

export const FAILURE_CAUSES = {
  'description-invalid': {
    kind: 'job',
    minorStatus: 'Job description invalid',
    applicationStatus: 'Not started: job description invalid',
    code: 101,
    then: 'fail',
  },
  'path-refused': { kind: 'job', minorStatus: 'Job Path Refused', applicationStatus: 'Not started: path refused', code: 102, then: 'fail' },
  'input-lfn': {
    kind: 'job',
    minorStatus: 'Input Sandbox Download Failed: LFN inputs are not supported',
    applicationStatus: 'Not started: LFN input sandbox',
    code: 103,
    then: 'fail',
  },
  'input-local-missing': {
    kind: 'job',
    minorStatus: 'Input File Missing',
    applicationStatus: 'Not started: input file missing',
    code: 104,
    then: 'fail',
  },
  'input-refused': {
    kind: 'job',
    minorStatus: 'Input Sandbox Refused',
    applicationStatus: 'Not started: input sandbox refused',
    code: 105,
    then: 'fail',
  },
  'payload-token-refused': {
    kind: 'job',
    minorStatus: 'Payload Token Refused',
    applicationStatus: 'Not started: payload token refused',
    code: 106,
    then: 'fail',
  },
  'container-image': {
    kind: 'job',
    minorStatus: 'Container failed: image',
    applicationStatus: 'Not started: container image',
    code: 107,
    then: 'fail',
  },
  'input-data': {
    kind: 'job',
    minorStatus: 'Input Data Resolution',
    applicationStatus: 'Not started: input data unavailable',
    code: 108,
    then: 'reschedule',
  },
  'output-data': {
    kind: 'job',
    minorStatus: 'Uploading Outputs',
    applicationStatus: 'Finished: output data not uploaded',
    code: 109,
    then: 'reschedule',
  },
  'application-errors': {
    kind: 'application',
    minorStatus: 'Application Finished With Errors',
    applicationStatus: 'Failed (exit code N / killed by SIGNAL)',
    code: 201,
    then: 'fail',
  },
  'application-not-found': {
    kind: 'application',
    minorStatus: 'Application not found',
    applicationStatus: 'Failed: application not found',
    code: 202,
    then: 'fail',
  },
  'watchdog-wallclock': {
    kind: 'application',
    minorStatus: 'Job has exceeded maximum wall clock time',
    applicationStatus: 'Killed: wall clock limit',
    code: 211,
    then: 'fail',
  },
  'watchdog-cpu': {
    kind: 'application',
    minorStatus: 'Job has exceeded maximum CPU time limit',
    applicationStatus: 'Killed: CPU time limit',
    code: 212,
    then: 'fail',
  },
  'watchdog-memory': {
    kind: 'application',
    minorStatus: 'Memory limit exceeded',
    applicationStatus: 'Killed: memory limit',
    code: 213,
    then: 'fail',
  },
  'oom-kill': {
    kind: 'application',
    minorStatus: 'Memory limit exceeded: killed by the kernel OOM killer',
    applicationStatus: 'Killed: out of memory',
    code: 214,
    then: 'fail',
  },
  'watchdog-disk': {
    kind: 'application',
    minorStatus: 'Job has insufficient disk space to continue',
    applicationStatus: 'Killed: disk space',
    code: 215,
    then: 'fail',
  },
  'watchdog-stdout': {
    kind: 'application',
    minorStatus: 'Standard output exceeded limit',
    applicationStatus: 'Killed: standard output size',
    code: 216,
    then: 'fail',
  },
  'watchdog-stalled': {
    kind: 'application',
    minorStatus: 'Watchdog identified this job as stalled',
    applicationStatus: 'Killed: stalled',
    code: 217,
    then: 'fail',
  },
  'watchdog-looping': {
    kind: 'application',
    minorStatus: 'Watchdog identified this job as looping',
    applicationStatus: 'Killed: looping',
    code: 218,
    then: 'fail',
  },
  'input-download': {
    kind: 'node',
    minorStatus: 'Input Sandbox Download Failed',
    applicationStatus: 'Not started: input sandbox download',
    code: 301,
    then: 'reschedule',
  },
  'input-unpack-io': {
    kind: 'node',
    minorStatus: 'Input Sandbox Extraction Failed',
    applicationStatus: 'Not started: input sandbox extraction',
    code: 302,
    then: 'fail',
  },
  'payload-token-unavailable': {
    kind: 'node',
    minorStatus: 'Payload token unavailable',
    applicationStatus: 'Not started: payload token unavailable',
    code: 303,
    then: 'fail',
  },
  'dirac-environment-missing': {
    kind: 'node',
    minorStatus: 'DIRAC environment not configured for dirac-jobexec',
    applicationStatus: 'Not started: no DIRAC environment',
    code: 304,
    then: 'fail',
  },
  'container-failed': {
    kind: 'node',
    minorStatus: 'Container failed',
    applicationStatus: 'Not started: container failed',
    code: 310,
    then: 'fail',
  },
  'output-upload': {
    kind: 'node',
    minorStatus: 'Uploading Job OutputSandbox Failed',
    applicationStatus: 'Finished: output sandbox not uploaded',
    code: 320,
    then: 'fail',
  },
  'failover-request': {
    kind: 'node',
    minorStatus: 'Failed sending requests',
    applicationStatus: 'Finished: failover request not stored',
    code: 330,
    then: 'fail',
  },
  'wrapper-exception': {
    kind: 'node',
    minorStatus: 'Job Wrapper Exception',
    applicationStatus: 'Failed: job wrapper exception',
    code: 399,
    then: 'fail',
  },
  'server-kill': {
    kind: 'killed',
    minorStatus: 'Received Kill signal',
    applicationStatus: 'Killed: by the server',
    code: 401,
    then: 'killed',
  },
  'pilot-stopped': {
    kind: 'pilot-stopped',
    minorStatus: 'Job Rescheduled',
    applicationStatus: 'Stopped: pilot received a signal',
    code: 402,
    then: 'reschedule',
  },
  'end-of-allocation': {
    kind: 'pilot-stopped',
    minorStatus: 'Job has reached the CPU limit of the queue',
    applicationStatus: 'Stopped: end of the batch allocation',
    code: 403,
    then: 'reschedule',
  },
} as const satisfies Record<string, FailureCause>;

/** The cause of a watchdog kill (src/payload/watchdog/kill-reasons.ts). */
export const KILL_CAUSES = {
  wallclock: 'watchdog-wallclock',
  cpu: 'watchdog-cpu',
  memory: 'watchdog-memory',
  disk: 'watchdog-disk',
  stdout: 'watchdog-stdout',
  stalled: 'watchdog-stalled',
  looping: 'watchdog-looping',
  timeleft: 'end-of-allocation',
  server: 'server-kill',
  'pilot-signal': 'pilot-stopped',
} as const satisfies Record<KillReason, keyof typeof FAILURE_CAUSES>;

export type FailureCauseId = keyof typeof FAILURE_CAUSES;

/** Black-hole protection counts these, and only these. */
export function countsTowardBlackHole(kind: FailureKind | null): boolean {
  return kind === 'node';
}

/** Whether an outcome says the node works (so a streak of node failures ends). */
export function provesNodeWorks(kind: FailureKind | null, done: boolean): boolean {
  return done || kind === 'application';
}

/** A failure before the payload ran, with its cause: thrown inside the job wrapper, reported as the job's final status. */
export class JobFailure extends Error {
  readonly kind: FailureKind;
  readonly minorStatus: string;

  constructor(
    readonly causeId: FailureCauseId,
    message: string,
    /** Appended to the cause's minor status as `: detail`. */
    detail?: string,
  ) {
    super(message);
    this.name = 'JobFailure';
    this.kind = FAILURE_CAUSES[causeId].kind;
    this.minorStatus = detail ? `${FAILURE_CAUSES[causeId].minorStatus}: ${detail}` : FAILURE_CAUSES[causeId].minorStatus;
  }
}

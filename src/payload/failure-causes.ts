/*
 * Why a job did not end Done, and whose fault that is. A pilot that counted a job's own mistakes
 * (a refused sandbox, an LFN input, a StdOutput naming a directory) as node failures would declare
 * itself a black hole after three of them: any user could take pilots down, and the honest jobs
 * queued behind would never run. Only failures of the node or the pilot count. The table is
 * documented in docs/failure-causes.md; src/payload/failure-causes.test.ts holds the two together.
 */

/**
 * - `application`: the payload ran and failed (non-zero exit, killed by a watchdog limit);
 * - `job`: the job's own input or request (its description, sandbox, paths, what it asks for)
 *   could not be honoured; the payload did not run;
 * - `node`: the node, the pilot or the services it depends on failed the job;
 * - `killed`: the server killed it; `pilot-stopped`: the pilot stopped and gave it back.
 */
export type FailureKind = 'application' | 'job' | 'node' | 'killed' | 'pilot-stopped';

export interface FailureCause {
  kind: FailureKind;
  /** The minor status reported, or its fixed start when a detail follows (`…: <detail>`). */
  minorStatus: string;
}

export const FAILURE_CAUSES = {
  'description-invalid': { kind: 'job', minorStatus: 'Job description invalid' },
  'path-refused': { kind: 'job', minorStatus: 'Job Path Refused' },
  'input-lfn': { kind: 'job', minorStatus: 'Input Sandbox Download Failed: LFN inputs are not supported' },
  'input-local-missing': { kind: 'job', minorStatus: 'Input Sandbox Download Failed' },
  'input-refused': { kind: 'job', minorStatus: 'Input Sandbox Refused' },
  'payload-token-refused': { kind: 'job', minorStatus: 'Payload Token Refused' },
  'input-download': { kind: 'node', minorStatus: 'Input Sandbox Download Failed' },
  'input-unpack-io': { kind: 'node', minorStatus: 'Input Sandbox Extraction Failed' },
  'payload-token-unavailable': { kind: 'node', minorStatus: 'Payload token unavailable' },
  'dirac-environment-missing': { kind: 'node', minorStatus: 'DIRAC environment not configured for dirac-jobexec' },
  'container-image': { kind: 'job', minorStatus: 'Container failed: image' },
  'container-failed': { kind: 'node', minorStatus: 'Container failed' },
  'output-upload': { kind: 'node', minorStatus: 'Uploading Job OutputSandbox Failed' },
  'input-data': { kind: 'job', minorStatus: 'Input Data Resolution' },
  'output-data': { kind: 'job', minorStatus: 'Uploading Outputs' },
  'failover-request': { kind: 'node', minorStatus: 'Failed sending requests' },
  'wrapper-exception': { kind: 'node', minorStatus: 'Job Wrapper Exception' },
  'application-errors': { kind: 'application', minorStatus: 'Application Finished With Errors' },
  'application-not-found': { kind: 'application', minorStatus: 'Application not found' },
  'watchdog-kill': { kind: 'application', minorStatus: '(the limit broken, src/payload/watchdog/kill-reasons.ts)' },
  'server-kill': { kind: 'killed', minorStatus: 'Received Kill signal' },
  'pilot-stopped': { kind: 'pilot-stopped', minorStatus: 'Job Rescheduled' },
} as const satisfies Record<string, FailureCause>;

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

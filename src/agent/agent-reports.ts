import type { Backend } from '../backend/types.js';
import type { Logger } from '../core/logger.js';
import { pythonFloatRepr } from '../core/python-float.js';
import { jobAgentSource } from '../backend/report-source.js';

/**
 * The reports DIRAC's JobAgent makes for a job it matched, before its JobWrapper makes its own
 * (docs/architecture.md, "One job"): minor statuses only, so the job stays Matched on the server
 * until the wrapper's Running / Job Initialization, and the time the match took as the job
 * parameter MatcherServiceTime. The edge pilot makes them too, where it matches and submits.
 *
 * None of them may hold a job up or end it: each is handed to the backend, which delivers a
 * job's updates in the order they were made with increasing timestamps, and a refused or lost
 * one is a warning. A refusal of the pilot's credentials reaches the wrapper's first report,
 * which is awaited and decides.
 *
 * Their Source is DIRAC v9's `JobAgent@<site>` (src/backend/report-source.ts), the site passed down
 * by the caller: what the pilot runs as.
 */

/** DIRAC's JobMinorStatus strings for the JobAgent's steps. */
export const AGENT_MINOR = {
  received: 'Job Received by Agent',
  installing: 'Installing Software',
  submitting: 'Submitting To CE',
} as const;

/**
 * The job's parameters were accepted: MatcherServiceTime (seconds, as Python's str(float) writes
 * them), then "Job Received by Agent" and "Installing Software". DIRAC reports the latter for
 * every job, a software module to install or not; this pilot installs none (no
 * SoftwareDistModule), and reports the step so the history a site sees is DIRAC's.
 */
export function reportJobReceived(backend: Backend, jobId: number, matchSeconds: number | null, site: string, log: Logger): void {
  const source = jobAgentSource(site);
  if (matchSeconds !== null && Number.isFinite(matchSeconds)) {
    const values = { MatcherServiceTime: matcherServiceTime(matchSeconds) };
    bestEffort(() => backend.setJobMetadata(jobId, values)).catch((error: unknown) =>
      log.warn({ job: jobId, err: (error as Error).message }, 'MatcherServiceTime not delivered'),
    );
  }
  // Held, as DIRAC queues them (sendFlag=False), and sent with Submitting To CE.
  minorOnly(backend, jobId, AGENT_MINOR.received, log, source, true);
  minorOnly(backend, jobId, AGENT_MINOR.installing, log, source, true);
}

/** The job is about to be handed to the runner (DIRAC: to the inner CE; the edge pilot: to the batch system). */
export function reportSubmitting(backend: Backend, jobId: number, site: string, log: Logger): void {
  minorOnly(backend, jobId, AGENT_MINOR.submitting, log, jobAgentSource(site));
}

/** Seconds as DIRAC's JobAgent writes them: `str(time.time() - start)`, never below zero. */
export function matcherServiceTime(seconds: number): string {
  return pythonFloatRepr(Math.max(0, seconds));
}

function minorOnly(backend: Backend, jobId: number, minorStatus: string, log: Logger, source: string, sendWithNext = false): void {
  bestEffort(() => backend.setJobStatus(jobId, { minorStatus, source, ...(sendWithNext ? { sendWithNext } : {}) })).catch(
    (error: unknown) => log.warn({ job: jobId, err: (error as Error).message, minor: minorStatus }, 'status update not delivered'),
  );
}

/** The call's promise; one that throws at once (a closed backend, say) becomes a rejection here, not the caller's exception. */
function bestEffort(call: () => Promise<void> | void): Promise<void> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}

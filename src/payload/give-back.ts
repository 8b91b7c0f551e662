import { RescheduleRefused, type Backend } from '../backend/types.js';
import type { Logger } from '../core/logger.js';

export interface GiveBackResult {
  status: 'Rescheduled' | 'Failed';
  minorStatus: string;
}

/**
 * Gives a job back to the queue; when the server will not take it back, ends it Failed with a
 * minor status that says why. A job the pilot touched ends final or back in the queue, never left
 * Running with nobody behind it: DiracX refuses a reschedule past MaxRescheduling with 400 and,
 * when the job is alone in the request, leaves it exactly as it was (diracx-api.md §7).
 */
export async function giveBackOrFail(backend: Backend, jobId: number, source: string, log: Logger): Promise<GiveBackResult> {
  try {
    await backend.reschedule([jobId]);
    return { status: 'Rescheduled', minorStatus: 'Job Rescheduled' };
  } catch (error) {
    // A refusal, or a reschedule that never got through: either way nobody will run the job again
    // unless it ends; a Failed update is queued (and spooled if the server cannot be reached).
    const minorStatus =
      error instanceof RescheduleRefused
        ? `Reschedule refused: ${error.reason.replace(/^job \d+: /, '')}`
        : `Reschedule failed: ${(error as Error).message}`;
    log.warn({ job: jobId, err: (error as Error).message }, `could not give the job back; ending it Failed (${minorStatus})`);
    await backend.setJobStatus(jobId, { status: 'Failed', minorStatus, source });
    return { status: 'Failed', minorStatus };
  }
}

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Backend, JobStatus, MatchedJob } from '../backend/types.js';
import { FINAL_JOB_STATUSES } from '../backend/types.js';
import type { Logger } from '../core/logger.js';
import { edgeStateSchema, outputSchema, readEvents, readJsonFile, stagedFiles, writeFileAtomic, type EdgeJobState } from './layout.js';

/** One job the edge pilot is responsible for: staged, submitted, relayed, until done. */
export interface TrackedJob {
  job: MatchedJob;
  dir: string;
  state: EdgeJobState;
  /** Last heartbeat file time relayed, so an unchanged file is not sent twice. */
  heartbeatRelayedMs: number;
  /** Whether a final status or a reschedule has been relayed. */
  finished: boolean;
}

export function initialEdgeState(): EdgeJobState {
  return { batchJobId: null, group: null, submittedAt: null, eventsRelayed: 0, outputUploaded: false, done: false, rescheduled: null };
}

export async function saveEdgeState(tracked: TrackedJob): Promise<void> {
  await writeFileAtomic(stagedFiles(tracked.dir).edge, JSON.stringify(tracked.state));
}

export async function loadEdgeState(dir: string): Promise<EdgeJobState | null> {
  return readJsonFile(stagedFiles(dir).edge, edgeStateSchema);
}

/**
 * Delivers what the compute side wrote since last time, in order: status changes, metadata,
 * reschedules; the output sandbox before the status that says it was uploaded. The count of
 * relayed lines is saved after each one, so a restarted edge pilot resumes where it stopped.
 * After the stop signal nothing more is started: the next edge pilot relays the rest.
 */
export async function relayEvents(tracked: TrackedJob, backend: Backend, logger: Logger, stop?: AbortSignal): Promise<void> {
  const files = stagedFiles(tracked.dir);
  const events = await readEvents(files.events, tracked.state.eventsRelayed);
  for (const event of events) {
    if (stop?.aborted) return;
    // The server learns of the output sandbox just before the report that says it was uploaded.
    const needsOutput =
      event.type === 'end' ||
      event.type === 'reschedule' ||
      (event.type === 'status' && (event.minorStatus === 'Output Sandbox Uploaded' || FINAL_JOB_STATUSES.has(event.status as JobStatus)));
    if (needsOutput && !tracked.state.outputUploaded && existsSync(files.outputInfo)) await relayOutput(tracked, backend, logger, stop);
    switch (event.type) {
      case 'status': {
        const { type: _type, at, ...update } = event;
        await backend.setJobStatus(tracked.job.jobId, {
          ...update,
          status: update.status as JobStatus | undefined,
          timestamp: new Date(at),
        });
        if (update.status && FINAL_JOB_STATUSES.has(update.status as JobStatus)) tracked.finished = true;
        break;
      }
      case 'metadata':
        await backend.setJobMetadata(tracked.job.jobId, event.metadata);
        break;
      case 'reschedule':
        await backend.reschedule([tracked.job.jobId]);
        tracked.finished = true;
        tracked.state.rescheduled = 'compute side gave the job back';
        break;
      case 'end':
        // Also covers a job the server killed: its final status is the server's own, never re-sent.
        tracked.finished = true;
        break;
    }
    tracked.state.eventsRelayed++;
    await saveEdgeState(tracked);
  }
  if (stop?.aborted) return;
  if (tracked.finished && !tracked.state.outputUploaded && existsSync(files.outputInfo)) await relayOutput(tracked, backend, logger, stop);
}

async function relayOutput(tracked: TrackedJob, backend: Backend, logger: Logger, stop?: AbortSignal): Promise<void> {
  const files = stagedFiles(tracked.dir);
  const info = await readJsonFile(files.outputInfo, outputSchema);
  if (!info) return;
  try {
    await backend.uploadOutputSandbox(tracked.job, { path: files.output, ...info });
  } catch (error) {
    // Cancelled by the stop signal: not lost, the next edge pilot uploads it.
    if (stop?.aborted) throw error;
    // The job's status still goes through; a lost output sandbox is reported, not retried forever.
    logger.error({ job: tracked.job.jobId, err: (error as Error).message }, 'output sandbox upload failed');
  }
  tracked.state.outputUploaded = true;
  await saveEdgeState(tracked);
}

/** The server's Kill reaches the compute node as a file its heartbeat loop looks for. */
export async function writeKillFile(tracked: TrackedJob): Promise<void> {
  await writeFile(stagedFiles(tracked.dir).kill, `${new Date().toISOString()}\n`, { mode: 0o600 });
}

/**
 * Gives a job back to the server when its allocation died without a final status. DiracX only
 * reschedules a Running job (diracx-api.md §7), so a job that never started is moved to Running first.
 */
export async function giveBack(tracked: TrackedJob, backend: Backend, reason: string, logger: Logger): Promise<void> {
  logger.warn({ job: tracked.job.jobId, batchJobId: tracked.state.batchJobId }, `giving the job back: ${reason}`);
  if (tracked.state.eventsRelayed === 0) {
    await backend.setJobStatus(tracked.job.jobId, { status: 'Running', minorStatus: 'Edge pilot: allocation lost', source: 'EdgePilot' });
  }
  await backend.setJobStatus(tracked.job.jobId, { minorStatus: reason, source: 'EdgePilot' });
  await backend.reschedule([tracked.job.jobId]);
  tracked.finished = true;
  tracked.state.rescheduled = reason;
  tracked.state.done = true;
  await saveEdgeState(tracked);
}

import type { JobStatus } from '../backend/types.js';
import { FINAL_JOB_STATUSES } from '../backend/types.js';
import { nextStatus } from './state-machine.js';

export interface HistoryEntry {
  status: JobStatus;
  minorStatus: string;
  applicationStatus: string;
  source: string;
  timestamp: string;
}

export interface JobCommandRecord {
  command: string;
  arguments: string;
  sent: boolean;
}

export interface StoredJob {
  id: number;
  owner: string;
  ownerGroup: string;
  vo: string;
  /** The stored JDL (Owner, OwnerGroup, VirtualOrganization and JobID added at submission). */
  jdl: string;
  status: JobStatus;
  minorStatus: string;
  applicationStatus: string;
  history: HistoryEntry[];
  /** Every status update applied (timestamp and values), to recognise a re-sent one. */
  appliedUpdates: Set<string>;
  heartbeats: { time: string; data: Record<string, unknown> }[];
  /** JobParameters: metadata keys that are not job attributes, StandardOutput, etc. */
  parameters: Record<string, unknown>;
  /** JobAttributes set through PATCH /api/jobs/metadata (Site, JobType, …). */
  attributes: Record<string, unknown>;
  commands: JobCommandRecord[];
  inputSandbox: string[];
  outputSandboxPfn: string | null;
  rescheduleCounter: number;
  submissionTime: string;
  lastUpdateTime: string;
  startExecTime: string | null;
  endExecTime: string | null;
  heartBeatTime: string | null;
  /** Pilot that matched it, when one did. */
  pilotStamp: string | null;
}

export interface StatusUpdateInput {
  timestamp: Date;
  Status?: JobStatus | null;
  MinorStatus?: string | null;
  ApplicationStatus?: string | null;
  Source: string;
}

/** SetJobStatusReturnSuccess: only what changed is set, the rest null (diracx-api.md §7). */
export interface StatusChange {
  Status: JobStatus | null;
  MinorStatus: string | null;
  ApplicationStatus: string | null;
  HeartBeatTime: string | null;
  StartExecTime: string | null;
  EndExecTime: string | null;
  LastUpdateTime: string | null;
}

/** Statuses in which a pilot may still hold the job, so a Kill needs to reach it. */
const HELD_BY_PILOT: ReadonlySet<JobStatus> = new Set(['Matched', 'Running', 'Stalled', 'Completing']);

/**
 * Applies updates in timestamp order through the state machine, as DiracX's set_job_statuses
 * does: a refused transition keeps the current status and gets "(SM)" on its Source, while its
 * minor and application statuses still apply. `force` skips the machine (the route's ?force=true).
 */
export function applyStatusUpdates(job: StoredJob, updates: StatusUpdateInput[], force = false): StatusChange {
  const change: StatusChange = {
    Status: null,
    MinorStatus: null,
    ApplicationStatus: null,
    HeartBeatTime: null,
    StartExecTime: null,
    EndExecTime: null,
    LastUpdateTime: null,
  };
  const ordered = [...updates].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  for (const update of ordered) {
    const when = update.timestamp.toISOString();
    // A client that lost the reply re-sends the same batch. In DiracX the latest timestamp decides
    // the job's status, so a re-sent update changes nothing; here it is recognised and skipped,
    // rather than replayed on top of newer ones.
    const key = JSON.stringify([update.timestamp.getTime(), update.Status, update.MinorStatus, update.ApplicationStatus, update.Source]);
    if (job.appliedUpdates.has(key)) continue;
    job.appliedUpdates.add(key);
    let source = update.Source;
    const previous = job.status;
    if (update.Status) {
      const decided = force ? { status: update.Status, refused: false } : nextStatus(job.status, update.Status);
      if (decided.refused) source = `${source}(SM)`;
      if (decided.status !== job.status) {
        job.status = decided.status;
        change.Status = decided.status;
      } else if (decided.refused) {
        // DiracX writes the status its state machine decided, the current one, and says so: a
        // Running sent to a Killed job comes back as Killed (issue 16, observed on the real server).
        change.Status = job.status;
      }
    }
    if (update.MinorStatus != null) {
      job.minorStatus = update.MinorStatus;
      change.MinorStatus = update.MinorStatus;
    }
    if (update.ApplicationStatus != null) {
      job.applicationStatus = update.ApplicationStatus;
      change.ApplicationStatus = update.ApplicationStatus;
    }
    if (job.status === 'Running' && job.startExecTime === null) {
      job.startExecTime = when;
      change.StartExecTime = when;
    }
    if (FINAL_JOB_STATUSES.has(job.status) && previous !== job.status) {
      job.endExecTime = when;
      change.EndExecTime = when;
    }
    if (source.startsWith('Job') || source === 'Heartbeat') {
      job.heartBeatTime = when;
      change.HeartBeatTime = when;
    }
    if ((job.status === 'Killed' || job.status === 'Deleted') && previous !== job.status && HELD_BY_PILOT.has(previous)) {
      job.commands.push({ command: 'Kill', arguments: '', sent: false });
    }
    job.history.push({
      status: job.status,
      minorStatus: job.minorStatus,
      applicationStatus: job.applicationStatus,
      // JobLoggingDB.insert_records keeps `source[:32]` (StatusSource is VARCHAR(32)): a long
      // `JobAgent@<site>`, or a Source with "(SM)" added, is recorded cut, not refused.
      source: [...source].slice(0, 32).join(''),
      timestamp: when,
    });
    job.lastUpdateTime = new Date().toISOString();
    change.LastUpdateTime = job.lastUpdateTime;
  }
  return change;
}

/** The commands not yet delivered, marked sent: each one goes out exactly once. */
export function takeCommands(job: StoredJob): JobCommandRecord[] {
  const pending = job.commands.filter((c) => !c.sent);
  for (const command of pending) command.sent = true;
  return pending;
}

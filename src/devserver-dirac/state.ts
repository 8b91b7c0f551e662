/** The legacy dev server's job and pilot records, with just enough of DIRAC's status rules. */

import type { DipsCallRecord } from './dips-server.js';

export interface DevJob {
  jobId: number;
  owner: string;
  ownerGroup: string;
  vo: string;
  /** JDL fields (rendered with renderJdl, JobRequirements added at match time). */
  fields: Record<string, string | number | string[]>;
  status: string;
  minorStatus: string;
  applicationStatus: string;
  history: { timestamp: string; status?: string; minorStatus?: string; applicationStatus?: string; source?: string }[];
  parameters: Record<string, unknown>;
  heartbeats: number;
  /** Heartbeats received after a final status: DIRAC would flip the job back to Running. */
  heartbeatsAfterFinal: number;
  killRequested: boolean;
  /** The Kill command went out in a heartbeat reply (JobCommands Sent). */
  killSent: boolean;
  rescheduled: number;
  outputSandbox: string | undefined;
  matchedBy: string | undefined;
}

export interface DevPilot {
  reference: string;
  status: string;
  reason?: string;
  stamp?: string;
  /** In PilotAgentsDB: added by the SiteDirector (addPilot) or by the pilot itself (addPilotReferences). */
  added?: boolean;
  addedBy?: 'SiteDirector' | 'addPilotReferences';
  jobs: number[];
}

/** A pilot's log as TornadoPilotLogging's file-cache plugin keeps it. */
export interface DevPilotLog {
  uuid: string;
  /** The caller's VO (from its group), as the service files the log. */
  vo: string;
  text: string;
  messages: number;
  /** finaliseLogs: the pilot's exit code as it sent it. */
  finalised: { retCode: string } | null;
}

/** A history timestamp in microseconds, for ordering (the formats the dev server records). */
function historyTime(timestamp: string): number {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?/.exec(timestamp);
  return m ? Date.parse(`${m[1]}T${m[2]}Z`) * 1000 + Number((m[3] ?? '').padEnd(6, '0')) : Number.NaN;
}

export const FINAL = new Set(['Done', 'Completed', 'Failed', 'Killed']);

export class DevState {
  readonly jobs = new Map<number, DevJob>();
  readonly pilots = new Map<string, DevPilot>();
  /** Sandbox store: PFN path → bytes. */
  readonly sandboxes = new Map<string, Buffer>();
  /** Every call, with who made it and on which listener (`gateway`: the DIRAC gateway, `gatewayUrl`). */
  readonly calls: (DipsCallRecord & { listener?: 'dips' | 'https' | 'gateway' })[] = [];
  /** TornadoPilotLogging: pilot UUID → its log. */
  readonly pilotLogs = new Map<string, DevPilotLog>();
  /**
   * Fault injection: JobStateUpdate.setJobStatusBulk answers S_ERROR with the message this returns
   * (nothing recorded), as a JobStateUpdate whose database refuses the insert would.
   */
  refuseStatusUpdate?: (jobId: number, updates: Record<string, unknown>) => string | null;

  /**
   * The job's history as DIRAC shows it (JobLoggingDB.getJobLoggingInfo, `dirac-wms-job-logging-info`):
   * in time order, a field an update left out ("idem") carried over from the record before.
   */
  loggingInfo(jobId: number): { status: string; minorStatus: string; applicationStatus: string; timestamp: string; source: string }[] {
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    let status = 'idem';
    let minorStatus = 'idem';
    let applicationStatus = 'Unknown';
    const rows = job.history.map((h, i) => ({ h, i, t: historyTime(h.timestamp) })).sort((a, b) => a.t - b.t || a.i - b.i);
    return rows.map(({ h }) => {
      status = h.status ?? status;
      minorStatus = h.minorStatus ?? minorStatus;
      applicationStatus = h.applicationStatus ?? applicationStatus;
      return { status, minorStatus, applicationStatus, timestamp: h.timestamp, source: h.source ?? 'Unknown' };
    });
  }

  addJob(
    job: Omit<
      DevJob,
      | 'status'
      | 'minorStatus'
      | 'applicationStatus'
      | 'history'
      | 'parameters'
      | 'heartbeats'
      | 'heartbeatsAfterFinal'
      | 'killRequested'
      | 'killSent'
      | 'rescheduled'
      | 'outputSandbox'
      | 'matchedBy'
    >,
  ): DevJob {
    const full: DevJob = {
      ...job,
      status: 'Waiting',
      minorStatus: 'Pilot Agent Submission',
      applicationStatus: 'Unknown',
      history: [],
      parameters: {},
      heartbeats: 0,
      heartbeatsAfterFinal: 0,
      killRequested: false,
      killSent: false,
      rescheduled: 0,
      outputSandbox: undefined,
      matchedBy: undefined,
    };
    this.jobs.set(job.jobId, full);
    return full;
  }

  /**
   * JobManager.killJob on a job a pilot holds: Killed / "Marked for termination" and a Kill
   * command for its pilot's next heartbeat (whose setHeartBeatData then sets Running again).
   */
  killJob(jobId: number): void {
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    job.status = 'Killed';
    job.minorStatus = 'Marked for termination';
    job.killRequested = true;
    job.history.push({
      timestamp: new Date().toISOString().replace('T', ' ').replace('Z', ''),
      status: 'Killed',
      minorStatus: 'Marked for termination',
      source: 'JobManager',
    });
  }

  /** A pilot reference as the SiteDirector records it at submission (Submitted). */
  addPilot(reference: string, stamp = ''): DevPilot {
    const pilot = this.pilot(reference);
    pilot.added = true;
    pilot.addedBy = 'SiteDirector';
    pilot.stamp = stamp;
    return pilot;
  }

  pilot(reference: string): DevPilot {
    let pilot = this.pilots.get(reference);
    if (!pilot) {
      pilot = { reference, status: 'Submitted', jobs: [] };
      this.pilots.set(reference, pilot);
    }
    return pilot;
  }
}

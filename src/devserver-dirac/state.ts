/** The legacy dev server's job and pilot records, with just enough of DIRAC's status rules. */

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
  rescheduled: number;
  outputSandbox: string | undefined;
  matchedBy: string | undefined;
}

export interface DevPilot {
  reference: string;
  status: string;
  reason?: string;
  stamp?: string;
  jobs: number[];
}

export const FINAL = new Set(['Done', 'Completed', 'Failed', 'Killed']);

export class DevState {
  readonly jobs = new Map<number, DevJob>();
  readonly pilots = new Map<string, DevPilot>();
  /** Sandbox store: PFN path → bytes. */
  readonly sandboxes = new Map<string, Buffer>();
  readonly calls: { service: string; method: string; args: unknown[] }[] = [];

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
      rescheduled: 0,
      outputSandbox: undefined,
      matchedBy: undefined,
    };
    this.jobs.set(job.jobId, full);
    return full;
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

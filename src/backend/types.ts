import type { JobDataServices } from '../data/types.js';

/**
 * What the job agent needs from a workload manager. DiracX (src/diracx/) and legacy DIRAC v9
 * (src/dirac/) both implement it, so nothing in commands/ or payload/ knows which one it talks to.
 */

export const JOB_STATUSES = [
  'Submitting',
  'Received',
  'Checking',
  'Staging',
  'Waiting',
  'Matched',
  'Running',
  'Stalled',
  'Completing',
  'Done',
  'Completed',
  'Failed',
  'Deleted',
  'Killed',
  'Rescheduled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['Done', 'Completed', 'Failed', 'Killed']);

export type PilotStatus = 'Submitted' | 'Waiting' | 'Running' | 'Done' | 'Failed' | 'Deleted' | 'Aborted' | 'Unknown';

/** Token pair the server hands out with a matched job, for that job's sandboxes only. */
export interface JobCredentials {
  accessToken: string;
  expiresIn: number;
  refreshToken: string | null;
}

export interface MatchedJob {
  jobId: number;
  /** The job description as the server stored it (JDL, or JSON with the same keys). */
  jdl: string;
  owner: string;
  ownerGroup: string;
  vo: string;
  credentials: JobCredentials | null;
  /**
   * Legacy DIRAC only: the job owner's delegated proxy file (0600), for X509_USER_PROXY in the
   * payload environment when the job needs grid credentials. Absent with DiracX.
   */
  payloadProxyPath?: string;
}

/** DIRAC resource description: the keys DIRAC's Matcher reads (dirac-pilot.md §2). */
export interface DiracResources {
  Site: string;
  GridCE: string;
  CEQueue: string;
  Platform: string;
  Tag: string[];
  RequiredTag: string[];
  NumberOfProcessors: number;
  MaxRAM: number;
  NumberOfGPUs: number;
  CPUTime: number;
  PilotBenchmark: number;
  PilotReference: string;
  ReleaseVersion: string;
  VirtualOrganization: string;
  OwnerGroup?: string;
  [key: string]: unknown;
}

export interface MatchRequest {
  pilotStamp: string;
  vo: string;
  maxJobs: number;
  /** DiracX matchmaking node document (matchmaking-poc/nodes shape). */
  node: Record<string, unknown>;
  resources: DiracResources;
}

export interface StatusUpdate {
  status?: JobStatus;
  minorStatus?: string;
  applicationStatus?: string;
  source: string;
  /** When it happened; defaults to now. */
  timestamp?: Date;
  /**
   * DIRAC's JobReport `sendFlag=False`: kept (with its timestamp) and sent in one call with the
   * job's next update, or at flush. The legacy backend honours it; DiracX batches what is queued anyway.
   */
  sendWithNext?: boolean;
}

/** The six numeric fields of DIRAC's heartbeat plus the last lines of stdout. */
export interface HeartbeatData {
  LoadAverage?: number;
  MemoryUsed?: number;
  Vsize?: number;
  AvailableDiskSpace?: number;
  CPUConsumed?: number;
  WallClockTime?: number;
  StandardOutput?: string;
}

export interface JobCommand {
  jobId: number;
  command: string;
  arguments: string | null;
}

export interface PilotRegistration {
  pilotStamp: string;
  vo: string;
  gridType: string;
  gridSite: string;
  destinationSite: string;
  pilotReference: string | null;
}

export interface OutputSandboxArchive {
  path: string;
  sha256: string;
  size: number;
  format: 'tar.zst' | 'tar.bz2';
}

/**
 * The server answered a reschedule and refused it (DiracX: past MaxRescheduling). The job is
 * then left as it was (DiracX leaves a job alone in its request untouched): whoever asked must
 * give it a final status.
 */
export class RescheduleRefused extends Error {
  constructor(
    readonly jobIds: readonly number[],
    readonly reason: string,
  ) {
    super(`reschedule refused: ${reason}`);
    this.name = 'RescheduleRefused';
  }
}

/**
 * The server does not have the sandbox a job names. DiracX says so as 403 "<user> is not the owner
 * of the sandbox" for a PFN that does not exist (diracx-api.md §7), not as 404.
 */
export class SandboxNotFound extends Error {
  constructor(
    readonly pfn: string,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxNotFound';
  }
}

export interface Backend {
  readonly kind: 'diracx' | 'dirac' | 'dirac+diracx';
  /** The archive format this server's clients read back; default tar.zst (DiracX). */
  readonly outputSandboxFormat?: OutputSandboxArchive['format'];
  /**
   * Legacy DIRAC: the heartbeat that brings a Kill also sets the job Running again
   * (setHeartBeatData), so the job wrapper reports a killed job's end itself, as DIRAC's does:
   * Failed / Received Kill signal. DiracX keeps Killed, and a status after it is refused.
   */
  readonly killedJobsEndFailed?: boolean;
  registerPilot(info: PilotRegistration): Promise<void>;
  setPilotStatus(status: PilotStatus, reason?: string, extra?: Record<string, unknown>): Promise<void>;
  /** Jobs the server matched to this slot (already Matched server-side); [] when none. */
  match(request: MatchRequest): Promise<MatchedJob[]>;
  /** Queued and delivered in order; resolves when the server acknowledged it (or it was spooled). */
  setJobStatus(jobId: number, update: StatusUpdate): Promise<void>;
  /** One request for all running jobs; returns the server's commands (e.g. Kill). */
  heartbeat(beats: ReadonlyMap<number, HeartbeatData>): Promise<JobCommand[]>;
  setJobMetadata(jobId: number, metadata: Record<string, string | number>): Promise<void>;
  reschedule(jobIds: number[]): Promise<void>;
  /** Download an input sandbox archive (by PFN) into `destFile`. */
  downloadSandbox(job: MatchedJob, pfn: string, destFile: string): Promise<void>;
  /** Upload the output sandbox and attach it to the job; returns its PFN. */
  uploadOutputSandbox(job: MatchedJob, archive: OutputSandboxArchive): Promise<string>;
  // What only some servers offer: called where present, never through a cast.
  /** The VO the pilot's credentials name (DiracX: the token's `vo` claim); null when they name none. */
  tokenVo?(): string | null;
  /** The server's clock (its Date header), for the clock check; null when it sent none. */
  serverTime?(): Promise<Date | null>;
  /** A stream that ships the pilot's own log lines to the server (-z/--pilotLogging). */
  createPilotLogShipper?(options: { scope: 'pilot' }): { write(line: string): unknown };
  /**
   * The job's data management (catalog, request service, storage configuration, the owner's
   * transfer credentials), for InputData/OutputData; absent or null where the backend has none.
   */
  dataServices?(job: MatchedJob): JobDataServices | null;
  /**
   * Called with a job id when a server reply says the job is Killed though no Kill command came
   * (DiracX's status reply, when it turned the pilot's update into Killed (SM)). Optional.
   */
  onServerKill?(listener: (jobId: number) => void): void;
  /** The job agent is done with this job: drop what was kept for it (owner tokens, pacing). */
  forgetJob?(jobId: number): void;
  /**
   * When the server never gave one good reply (unreachable, TLS, credentials refused): the last
   * failure, whose exit code the pilot ends with; null once a call succeeded. Optional.
   */
  neverAnswered?(): (Error & { exitCode: number }) | null;
  /** Deliver every queued update, or spool what could not be delivered. */
  flush(): Promise<void>;
  /**
   * Spool undelivered status updates synchronously, for the pilot's forced exit at the end of its
   * stop grace; returns how many. Absent where nothing is queued across calls.
   */
  spoolNow?(): number;
  close(): Promise<void>;
}

import { appendFile, copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type {
  Backend,
  HeartbeatData,
  JobCommand,
  MatchedJob,
  OutputSandboxArchive,
  PilotRegistration,
  PilotStatus,
  StatusUpdate,
} from '../backend/types.js';
import type { Logger } from '../core/logger.js';
import { SerialQueue } from '../backend/serial.js';

export interface LocalRecord {
  jobId: number;
  kind: 'status' | 'heartbeat' | 'metadata' | 'reschedule' | 'output';
  at: string;
  data: unknown;
}

/**
 * A backend with no server, for `pilot exec`: what a site admin runs to debug a payload through
 * the same slot, sandbox, runner and watchdog path. Statuses go to the log and to a JSON-lines
 * file; the output sandbox is kept as a file; nothing is matched.
 */
export class LocalBackend implements Backend {
  readonly kind = 'diracx' as const;
  readonly records: LocalRecord[] = [];
  private readonly writes = new SerialQueue();

  constructor(
    private readonly recordFile: string,
    private readonly logger: Logger,
    private readonly outputDir: string,
  ) {}

  private record(jobId: number, kind: LocalRecord['kind'], data: unknown): Promise<void> {
    const entry: LocalRecord = { jobId, kind, at: new Date().toISOString(), data };
    this.records.push(entry);
    return this.writes.run(async () => {
      await mkdir(path.dirname(this.recordFile), { recursive: true, mode: 0o700 });
      await appendFile(this.recordFile, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    });
  }

  async registerPilot(_info: PilotRegistration): Promise<void> {}
  async setPilotStatus(_status: PilotStatus): Promise<void> {}
  async match(): Promise<MatchedJob[]> {
    return [];
  }

  async setJobStatus(jobId: number, update: StatusUpdate): Promise<void> {
    const { timestamp: _t, ...rest } = update;
    this.logger.info(rest, `job ${jobId}: ${[update.status, update.minorStatus].filter(Boolean).join(' / ')}`);
    await this.record(jobId, 'status', rest);
  }

  async heartbeat(beats: ReadonlyMap<number, HeartbeatData>): Promise<JobCommand[]> {
    for (const [jobId, beat] of beats) {
      const { StandardOutput: _stdout, ...numbers } = beat;
      await this.record(jobId, 'heartbeat', numbers);
    }
    return [];
  }

  async setJobMetadata(jobId: number, metadata: Record<string, string | number>): Promise<void> {
    await this.record(jobId, 'metadata', metadata);
  }

  async reschedule(jobIds: number[]): Promise<void> {
    for (const jobId of jobIds) await this.record(jobId, 'reschedule', {});
  }

  async downloadSandbox(_job: MatchedJob, pfn: string): Promise<void> {
    throw new Error(`sandbox ${pfn} needs a server; pilot exec takes local files in InputSandbox`);
  }

  async uploadOutputSandbox(job: MatchedJob, archive: OutputSandboxArchive): Promise<string> {
    await mkdir(this.outputDir, { recursive: true, mode: 0o700 });
    const kept = path.join(this.outputDir, `job-${job.jobId}-output.${archive.format}`);
    await copyFile(archive.path, kept);
    await this.record(job.jobId, 'output', { file: kept, sha256: archive.sha256, size: archive.size });
    this.logger.info({ file: kept }, 'output sandbox kept');
    return kept;
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

import { copyFile, open, readdir, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Backend, HeartbeatData, JobCommand, MatchedJob, OutputSandboxArchive, PilotStatus, StatusUpdate } from '../backend/types.js';
import { SerialQueue } from '../backend/serial.js';
import { appendEvent, readJsonFile, stagedFiles, stagedJobSchema, writeFileAtomic, type StagedJob } from './layout.js';

/**
 * The compute-node side of edge mode: a Backend made of files in the shared directory, so the
 * job agent, job wrapper, runner and watchdog run unchanged on a node with no network.
 * `match()` hands out the staged jobs of this allocation, once each; everything the job
 * wrapper reports becomes an event line the edge pilot relays; a `kill` file is the server's Kill.
 */
export class StagedBackend implements Backend {
  readonly kind = 'diracx' as const;
  private readonly pending: string[];
  private readonly dirs = new Map<number, string>();
  private readonly staged = new Map<number, StagedJob>();
  private readonly killSent = new Set<number>();
  /** Event lines are appended in the order they were made, even when callers do not wait. */
  private readonly appends = new SerialQueue();

  constructor(stagedDirs: readonly string[]) {
    this.pending = [...stagedDirs];
  }

  /** The staged directory of a job this backend handed out. */
  dirOf(jobId: number): string {
    const dir = this.dirs.get(jobId);
    if (!dir) throw new Error(`job ${jobId} is not staged in this allocation`);
    return dir;
  }

  /** job.json of a job this backend handed out: its share and the limits the edge computed for it. */
  stagedJob(jobId: number): StagedJob {
    const staged = this.staged.get(jobId);
    if (!staged) throw new Error(`job ${jobId} is not staged in this allocation`);
    return staged;
  }

  async registerPilot(): Promise<void> {}
  async setPilotStatus(_status: PilotStatus): Promise<void> {}

  async match(): Promise<MatchedJob[]> {
    for (let dir = this.pending.shift(); dir !== undefined; dir = this.pending.shift()) {
      const staged = await readJsonFile(stagedFiles(dir).job, stagedJobSchema);
      if (!staged) throw new Error(`${dir}: no job.json: not a staged job directory`);
      if (!(await claim(stagedFiles(dir).claimed))) continue; // another allocation has it
      this.dirs.set(staged.jobId, dir);
      this.staged.set(staged.jobId, staged);
      return [
        { jobId: staged.jobId, jdl: staged.jdl, owner: staged.owner, ownerGroup: staged.ownerGroup, vo: staged.vo, credentials: null },
      ];
    }
    return [];
  }

  async setJobStatus(jobId: number, update: StatusUpdate): Promise<void> {
    const { timestamp, ...rest } = update;
    const file = stagedFiles(this.dirOf(jobId)).events;
    const event = { type: 'status' as const, at: (timestamp ?? new Date()).toISOString(), ...rest };
    await this.appends.run(() => appendEvent(file, event));
  }

  async setJobMetadata(jobId: number, metadata: Record<string, string | number>): Promise<void> {
    const file = stagedFiles(this.dirOf(jobId)).events;
    const at = new Date().toISOString();
    await this.appends.run(() => appendEvent(file, { type: 'metadata', at, metadata }));
  }

  async reschedule(jobIds: number[]): Promise<void> {
    for (const jobId of jobIds) {
      const file = stagedFiles(this.dirOf(jobId)).events;
      const at = new Date().toISOString();
      await this.appends.run(() => appendEvent(file, { type: 'reschedule', at }));
    }
  }

  /** Heartbeats become files; a `kill` file written by the edge becomes one Kill command. */
  async heartbeat(beats: ReadonlyMap<number, HeartbeatData>): Promise<JobCommand[]> {
    const commands: JobCommand[] = [];
    for (const [jobId, beat] of beats) {
      const files = stagedFiles(this.dirOf(jobId));
      await writeFileAtomic(files.heartbeat, JSON.stringify({ at: new Date().toISOString(), ...beat }));
      if (!this.killSent.has(jobId) && existsSync(files.kill)) {
        this.killSent.add(jobId);
        commands.push({ jobId, command: 'Kill', arguments: null });
      }
    }
    return commands;
  }

  async downloadSandbox(_job: MatchedJob, pfn: string): Promise<void> {
    throw new Error(`sandbox ${pfn}: a compute node has no network; the edge pilot stages input sandboxes`);
  }

  async uploadOutputSandbox(job: MatchedJob, archive: OutputSandboxArchive): Promise<string> {
    const files = stagedFiles(this.dirOf(job.jobId));
    await copyFile(archive.path, `${files.output}.tmp`);
    await rename(`${files.output}.tmp`, files.output);
    await writeFileAtomic(files.outputInfo, JSON.stringify({ sha256: archive.sha256, size: archive.size, format: archive.format }));
    return `staged:${path.basename(files.output)}`;
  }

  /** Tells the edge pilot the compute side is done with the job. */
  async jobEnded(jobId: number, status: string, minorStatus: string): Promise<void> {
    const file = stagedFiles(this.dirOf(jobId)).events;
    const at = new Date().toISOString();
    await this.appends.run(() => appendEvent(file, { type: 'end', at, status, minorStatus }));
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** O_EXCL create: true for the one process that gets there first, on any node of the shared filesystem. */
async function claim(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx', 0o600);
    await handle.writeFile(`${process.pid}@${new Date().toISOString()}\n`);
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Staged job directories named on the command line, or every job directory under a group's list. */
export async function listStagedDirs(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (existsSync(stagedFiles(p).job)) out.push(path.resolve(p));
    else
      for (const entry of await readdir(p).catch(() => []))
        if (existsSync(stagedFiles(path.join(p, entry)).job)) out.push(path.resolve(p, entry));
  }
  return out;
}

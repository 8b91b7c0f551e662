import { mkdir, readFile, rename, writeFile, appendFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * The shared directory between an edge pilot and the compute nodes it submits to. Everything
 * either side needs to know travels as files here, because compute nodes have no network:
 *
 *   <edge dir>/jobs/<id>/job.json       edge → compute: the job, its slot share and limits (no credentials)
 *   <edge dir>/jobs/<id>/events.jsonl   compute → edge: status, metadata, reschedule, in order, append-only
 *   <edge dir>/jobs/<id>/heartbeat.json compute → edge: the latest watchdog sample (replaced atomically)
 *   <edge dir>/jobs/<id>/output.tar.zst compute → edge: the output sandbox, with output.json (sha256, size)
 *   <edge dir>/jobs/<id>/kill           edge → compute: the server asked to kill the job
 *   <edge dir>/jobs/<id>/claimed        compute: created exclusively when a job starts, so it never runs twice
 *   <edge dir>/jobs/<id>/edge.json      edge only: batch job id, events relayed, done
 *   <edge dir>/groups/<group>/          the batch script and the batch system's output of one allocation
 *   <edge dir>/work/jobs/<id>/          the job directory, input sandbox extracted by the edge; the job
 *                                       wrapper on the compute node runs the payload there and removes it
 */
const count = z.number().nonnegative();

/** The job's share of its allocation, as the edge pilot matched it (one job's cores, memory, GPUs). */
export const stagedShareSchema = z.object({
  processors: z.number().int().positive(),
  memoryMB: count,
  gpus: z.number().int().nonnegative(),
});

/**
 * The job's watchdog limits, computed on the edge from its options, the job's JDL and its share
 * (src/commands/wiring.ts, jobLimits): the compute side runs the job under exactly these, so
 * --kill-grace, --stalled-seconds, --looping-seconds, --max-stdout-mb and the CPU power reach it.
 * Only the time left in the slot is the compute node's own.
 */
export const stagedLimitsSchema = z
  .object({
    stalled: z.object({ windowSeconds: count, minCpuRatio: count }).nullable(),
    loopingSeconds: count.nullable(),
    killGraceMs: count,
  })
  .merge(
    z
      .object({
        sampleIntervalMs: count,
        wallClockSeconds: count.nullable(),
        cpuSeconds: count.nullable(),
        memoryMB: count.nullable(),
        minDiskMB: count.nullable(),
        maxStdoutBytes: count.nullable(),
        timeLeftFloorSeconds: count,
        stdoutTailLines: count,
        stdoutTailBytes: count,
        loopingScanMaxEntries: count,
      })
      .partial(),
  )
  .strict();
export type StagedLimits = z.infer<typeof stagedLimitsSchema>;

export const stagedJobSchema = z.object({
  jobId: z.number().int().positive(),
  jdl: z.string().min(1),
  owner: z.string(),
  ownerGroup: z.string(),
  vo: z.string(),
  site: z.string(),
  stagedAt: z.string(),
  share: stagedShareSchema,
  limits: stagedLimitsSchema,
  /**
   * What the site gives every payload (--userEnvVariables, -o's SharedArea and flags), from the
   * edge pilot's options: the compute side starts with none of them. Values stay off the compute
   * pilot's command line, which every user of the node can read.
   */
  siteEnv: z.record(z.string()),
});
export type StagedJob = z.infer<typeof stagedJobSchema>;

export const eventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('status'),
    at: z.string(),
    status: z.string().optional(),
    minorStatus: z.string().optional(),
    applicationStatus: z.string().optional(),
    source: z.string(),
  }),
  z.object({ type: z.literal('metadata'), at: z.string(), metadata: z.record(z.union([z.string(), z.number()])) }),
  z.object({ type: z.literal('reschedule'), at: z.string() }),
  /** The compute side is done with the job (whatever it reported before): nothing more will come. */
  z.object({ type: z.literal('end'), at: z.string(), status: z.string(), minorStatus: z.string() }),
]);
export type StagedEvent = z.infer<typeof eventSchema>;

export const outputSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  format: z.enum(['tar.zst', 'tar.bz2']),
});

export const edgeStateSchema = z.object({
  batchJobId: z.string().nullable(),
  group: z.string().nullable(),
  submittedAt: z.string().nullable(),
  /** Lines of events.jsonl already delivered to the server. */
  eventsRelayed: z.number().int().nonnegative(),
  outputUploaded: z.boolean(),
  /** Final status delivered, or the job given back: nothing more to do for it. */
  done: z.boolean(),
  /** Why the edge gave the job back, if it did. */
  rescheduled: z.string().nullable(),
});
export type EdgeJobState = z.infer<typeof edgeStateSchema>;

export class StagedLayout {
  constructor(readonly root: string) {}
  jobsDir(): string {
    return path.join(this.root, 'jobs');
  }
  jobDir(jobId: number): string {
    return path.join(this.root, 'jobs', String(jobId));
  }
  groupDir(group: string): string {
    return path.join(this.root, 'groups', group);
  }
  /** The job wrapper's work directory: it runs job <id> in `<workDir>/jobs/<id>`. */
  workDir(): string {
    return path.join(this.root, 'work');
  }
  /** The layout a staged job directory (`<root>/jobs/<id>`) belongs to. */
  static ofJobDir(dir: string): StagedLayout {
    return new StagedLayout(path.dirname(path.dirname(path.resolve(dir))));
  }
}

/** Per-job file names under a staged job directory. */
export const stagedFiles = (dir: string) => ({
  job: path.join(dir, 'job.json'),
  events: path.join(dir, 'events.jsonl'),
  heartbeat: path.join(dir, 'heartbeat.json'),
  output: path.join(dir, 'output.tar.zst'),
  outputInfo: path.join(dir, 'output.json'),
  kill: path.join(dir, 'kill'),
  /** Created exclusively by the compute side that runs the job: a second allocation skips it. */
  claimed: path.join(dir, 'claimed'),
  edge: path.join(dir, 'edge.json'),
});

/** Write-then-rename, so the other side never reads half a file (same directory: same filesystem). */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, file);
}

export async function readJsonFile<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** One line per event, appended with a single write: a reader sees whole lines or nothing new. */
export async function appendEvent(file: string, event: StagedEvent): Promise<void> {
  await appendFile(file, `${JSON.stringify(event)}\n`, { mode: 0o600 });
}

/**
 * Events after the first `skip` lines. A last line without its newline is being written: left
 * for the next read. A malformed complete line is an error naming the line.
 */
export async function readEvents(file: string, skip: number): Promise<StagedEvent[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const lines = complete.split('\n').slice(0, -1);
  return lines.slice(skip).map((line, i) => {
    const parsed = eventSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`${file} line ${skip + i + 1}: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  });
}

export async function mtimeMs(file: string): Promise<number | null> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return null;
  }
}

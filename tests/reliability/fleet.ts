import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DevServer, JobSnapshot, JobSubmission } from '../../src/devserver/index.js';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { tempDir } from '../integration/pilot-process.js';

/** Statuses after which DIRAC never moves a job again on its own. */
export const FINAL_STATUSES = new Set(['Done', 'Failed', 'Killed', 'Deleted']);

/** The content job `index` must bring back: unique per job, so a swapped sandbox shows. */
export const expectedOutput = (index: number): string => `reliability job ${index} ${'x'.repeat(index % 17)}\n`;

/**
 * `count` tiny jobs: each copies its one input file into `out.txt` with `cp`, so both sandbox
 * directions carry a known, per-job content and the payload costs nothing.
 */
export function copyJobs(count: number): JobSubmission[] {
  return Array.from({ length: count }, (_, index) => ({
    fields: {
      JobName: `copy-${index}`,
      Executable: '/bin/cp',
      Arguments: 'in.txt out.txt',
      StdOutput: 'std.out',
      StdError: 'std.err',
      OutputSandbox: ['out.txt', 'std.out', 'std.err'],
      CPUTime: 60,
    },
    inputFiles: { 'in.txt': expectedOutput(index) },
  }));
}

/** The job's index from its JobName (`copy-<n>`), read back from the stored JDL. */
export function jobIndex(job: JobSnapshot): number {
  const match = /JobName = "copy-(\d+)"/.exec(job.jdl);
  if (!match) throw new Error(`job ${job.id} is not a copy job`);
  return Number(match[1]);
}

type HistoryEntry = JobSnapshot['history'][number];
/**
 * The same report: what the pilot always sends (source, minor status, timestamp). Status and
 * application status are not compared: for an update that omits them the server logs the job's
 * values at the time, so a batch that arrives a second time after the job ended is logged under the
 * final status and application status.
 */
const sameReport = (a: HistoryEntry, b: HistoryEntry) =>
  a.minorStatus === b.minorStatus && a.source === b.source && a.timestamp === b.timestamp;

export interface FinalCheck {
  /** What is wrong with the job's end, or null when it ended exactly once. */
  problem: string | null;
  /**
   * History entries that repeat an earlier report field for field, timestamp included: the same
   * batch of updates sent again because the reply to the first was lost (at-least-once delivery),
   * which the server logs twice. Not a new decision about the job.
   */
  resends: number;
}

/** Whether a job reached exactly one final status, and how many repeated reports the server logged. */
export function checkFinal(job: JobSnapshot): FinalCheck {
  if (!FINAL_STATUSES.has(job.status)) return { problem: `job ${job.id} left ${job.status}/${job.minorStatus}`, resends: 0 };
  const fresh = job.history.filter((h, i) => !job.history.slice(0, i).some((earlier) => sameReport(earlier, h)));
  const resends = job.history.length - fresh.length;
  const describe = (list: HistoryEntry[]) => list.map((h) => `${h.status}/${h.minorStatus} (${h.source} ${h.timestamp})`).join(', ');
  const first = fresh.findIndex((h) => FINAL_STATUSES.has(h.status));
  if (first === -1) return { problem: `job ${job.id} is ${job.status} but no report put it there: ${describe(job.history)}`, resends };
  // Anything new after the end, final or not, would be a second decision about a finished job.
  const after = fresh.slice(first + 1);
  if (after.length > 0)
    return { problem: `job ${job.id} changed after its final status ${describe([fresh[first]!])}: ${describe(after)}`, resends };
  return { problem: null, resends };
}

/** A job the pilot never heard of: Matched by a match request whose reply was lost, nothing reported since. */
export function lostInMatchReply(job: JobSnapshot): boolean {
  return job.status === 'Matched' && job.history.every((h) => !/^(JobWrapper|JobAgent|Heartbeat)/.test(h.source));
}

/** Extracts a job's output sandbox from the server and returns out.txt, or a description of what is wrong. */
export async function outputOf(server: DevServer, job: JobSnapshot): Promise<{ text?: string; problem?: string }> {
  const bytes = server.outputSandbox(job.id);
  if (!bytes) return { problem: `job ${job.id}: no output sandbox assigned` };
  const dir = tempDir('pilot-rel-out-');
  const archive = path.join(dir, 'out.tar.zst');
  writeFileSync(archive, bytes);
  mkdirSync(path.join(dir, 'x'));
  try {
    await extractSandbox(archive, path.join(dir, 'x'));
    return { text: readFileSync(path.join(dir, 'x', 'out.txt'), 'utf8') };
  } catch (error) {
    return { problem: `job ${job.id}: output sandbox unreadable: ${(error as Error).message}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
      JobName: `copy-${index}`, Executable: '/bin/cp', Arguments: 'in.txt out.txt',
      StdOutput: 'std.out', StdError: 'std.err', OutputSandbox: ['out.txt', 'std.out', 'std.err'], CPUTime: 60,
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
const sameEntry = (a: HistoryEntry, b: HistoryEntry) =>
  a.status === b.status && a.minorStatus === b.minorStatus && a.applicationStatus === b.applicationStatus && a.source === b.source && a.timestamp === b.timestamp;

export interface FinalCheck {
  /** What is wrong with the job's end, or null when it ended exactly once. */
  problem: string | null;
  /**
   * Final entries that repeat the previous one field for field, timestamp included: the same
   * report sent again because the reply to the first was lost (at-least-once delivery), which
   * the server logs twice. Not a second decision about the job.
   */
  resends: number;
}

/** Whether a job reached exactly one final status, and how many identical resends of it the server logged. */
export function checkFinal(job: JobSnapshot): FinalCheck {
  if (!FINAL_STATUSES.has(job.status)) return { problem: `job ${job.id} left ${job.status}/${job.minorStatus}`, resends: 0 };
  const finals = job.history.filter((h) => FINAL_STATUSES.has(h.status));
  const distinct = finals.filter((h, i) => !finals.slice(0, i).some((earlier) => sameEntry(earlier, h)));
  const describe = (list: HistoryEntry[]) => list.map((h) => `${h.status}/${h.minorStatus} (${h.source} ${h.timestamp})`).join(', ');
  if (distinct.length !== 1) return { problem: `job ${job.id} has ${distinct.length} different final entries: ${describe(distinct)}`, resends: 0 };
  // Nothing the pilot sent after the end may have been taken as a new state.
  const first = job.history.findIndex((h) => FINAL_STATUSES.has(h.status));
  const after = job.history.slice(first + 1).filter((h) => !sameEntry(h, job.history[first]!));
  if (after.length > 0) return { problem: `job ${job.id} changed after its final status: ${describe(after)}`, resends: 0 };
  return { problem: null, resends: finals.length - 1 };
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

import type { MatchedJob } from '../backend/types.js';

/*
 * A match reply is checked before anything of it starts. The server is trusted for what it says,
 * not for how it behaves: a reply that repeats a job id, names a job this pilot is already running,
 * or holds more jobs than were asked for would start two payloads in one job directory (one of
 * them untracked, left running when the pilot exits) or overfill the slot.
 */

export type MatchRefusalReason = 'bad-id' | 'duplicate' | 'already-running' | 'more-than-asked';

export interface MatchRefusal {
  job: MatchedJob;
  reason: MatchRefusalReason;
  detail: string;
}

export interface CheckedMatch {
  accepted: MatchedJob[];
  refused: MatchRefusal[];
}

/**
 * Splits a match reply into the jobs to run and those refused, in reply order: a job id that is
 * not a positive integer, a second occurrence of an id, an id already running here (`running`),
 * and every job beyond `asked`.
 */
export function checkMatchReply(jobs: readonly MatchedJob[], asked: number, running: { has(jobId: number): boolean }): CheckedMatch {
  const accepted: MatchedJob[] = [];
  const refused: MatchRefusal[] = [];
  const seen = new Set<number>();
  for (const job of jobs) {
    const id = job.jobId;
    if (!Number.isSafeInteger(id) || id <= 0) {
      refused.push({ job, reason: 'bad-id', detail: `job id ${JSON.stringify(id)} is not a positive integer` });
    } else if (seen.has(id)) {
      refused.push({ job, reason: 'duplicate', detail: `job ${id} appears more than once in one match reply` });
    } else if (running.has(id)) {
      refused.push({ job, reason: 'already-running', detail: `job ${id} is already running on this pilot` });
    } else if (accepted.length >= asked) {
      refused.push({ job, reason: 'more-than-asked', detail: `the match reply held ${jobs.length} jobs, ${asked} asked for` });
    } else {
      accepted.push(job);
    }
    seen.add(id);
  }
  return { accepted, refused };
}

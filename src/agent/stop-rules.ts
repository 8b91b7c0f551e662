/**
 * DIRAC's JobAgent stop rules as one pure function, used by the job agent (src/agent/job-agent.ts)
 * and by the edge pilot's matching loop (src/edge/edge-agent.ts), so both stop for the same reasons
 * in the same order. The caller gathers the facts (clock, drain file, counters); this decides.
 *
 * Order (../shared/reference/dirac-pilot.md §2, "A cycle"): a stop signal first (the pilot is being
 * ended), then the drain file, the pilot lifetime, MaxCycles, filling mode, failed matches, and last
 * the CPU work left, which is only known once the free share of the slot is described.
 */
export type StopReason =
  | 'no-match'
  | 'max-cycles'
  | 'drain'
  | 'time-left'
  | 'lifetime'
  | 'application-failure'
  | 'black-hole'
  | 'signal'
  | 'no-filling'
  | 'server-error'
  | 'error';

export interface Stop {
  reason: StopReason;
  detail: string;
}

export interface StopFacts {
  /** Why the pilot was told to stop (a signal), or null when it was not. */
  stopSignal: string | null;
  /** The drain file's path when it exists, else null. */
  drainFileFound: string | null;
  now: number;
  /** Absolute time (ms) after which no new job is taken, or null for none. */
  deadline: number | null;
  cycles: number;
  maxCycles: number;
  /** Jobs taken so far (whatever became of them). */
  jobsTaken: number;
  fillingMode: boolean;
  /** Matches in a row that brought no job. */
  failedMatches: number;
  stopAfterFailedMatches: number;
  /** CPU work left now; undefined while not yet computed this cycle (the rule is then skipped). */
  cpuWorkLeft?: number;
  minimumTimeLeft?: number;
}

/** The first stop rule that holds, or null to go on asking for jobs. */
export function firstStopRule(facts: StopFacts): Stop | null {
  if (facts.stopSignal !== null) return { reason: 'signal', detail: facts.stopSignal };
  if (facts.drainFileFound !== null) return { reason: 'drain', detail: `drain file ${facts.drainFileFound} exists` };
  if (facts.deadline !== null && facts.now >= facts.deadline) return { reason: 'lifetime', detail: 'pilot lifetime reached' };
  if (facts.cycles >= facts.maxCycles) return { reason: 'max-cycles', detail: `MaxCycles ${facts.maxCycles} reached` };
  if (facts.jobsTaken > 0 && !facts.fillingMode) return { reason: 'no-filling', detail: 'filling mode off: one job per pilot' };
  if (facts.failedMatches >= facts.stopAfterFailedMatches) {
    return { reason: 'no-match', detail: `${facts.failedMatches} matches found no job` };
  }
  if (facts.cpuWorkLeft !== undefined && facts.minimumTimeLeft !== undefined && facts.cpuWorkLeft < facts.minimumTimeLeft) {
    return {
      reason: 'time-left',
      detail: `CPU work left ${Math.round(facts.cpuWorkLeft)} below MinimumTimeLeft ${facts.minimumTimeLeft}`,
    };
  }
  return null;
}

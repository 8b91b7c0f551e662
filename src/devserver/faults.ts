/**
 * Fault injection for /api routes (issue 9): a seeded generator decides, request by request, whether
 * to drop the connection, answer 5xx or 429, stall, or cut the reply in half. The same seed and the
 * same sequence of requests give the same faults, so a failing test can be replayed.
 */
export interface FaultProfile {
  /** Probability of a 503 before the request is processed. */
  error5xxRate?: number;
  /** Probability of a 429 with Retry-After before the request is processed. */
  rate429?: number;
  retryAfterSeconds?: number;
  /** Probability of waiting `slowMs` before processing. */
  slowRate?: number;
  slowMs?: number;
  /** Probability of destroying the socket without a reply, before processing. */
  dropRate?: number;
  /** Probability of processing the request but sending only half of the reply body. */
  truncateRate?: number;
  seed?: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'drop' }
  | { kind: 'error5xx' }
  | { kind: 'rate429'; retryAfterSeconds: number }
  | { kind: 'slow'; ms: number }
  | { kind: 'truncate' };

/** mulberry32: tiny, fast, and good enough to spread faults; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private random: () => number;
  private profile: FaultProfile;
  /** Every decision taken, in order, for tests and the demo summary. */
  readonly log: { path: string; fault: FaultDecision['kind'] }[] = [];

  constructor(profile: FaultProfile = {}) {
    this.profile = profile;
    this.random = seededRandom(profile.seed ?? 1);
  }

  set(profile: FaultProfile): void {
    this.profile = profile;
    this.random = seededRandom(profile.seed ?? 1);
  }

  /**
   * One draw per kind, in a fixed order, for every request: which faults fire depends only on the
   * seed and the request count, not on which rates are zero.
   */
  decide(path: string): FaultDecision {
    const p = this.profile;
    const draws = [this.random(), this.random(), this.random(), this.random(), this.random()] as const;
    let decision: FaultDecision = { kind: 'none' };
    if (draws[0] < (p.dropRate ?? 0)) decision = { kind: 'drop' };
    else if (draws[1] < (p.error5xxRate ?? 0)) decision = { kind: 'error5xx' };
    else if (draws[2] < (p.rate429 ?? 0)) decision = { kind: 'rate429', retryAfterSeconds: p.retryAfterSeconds ?? 1 };
    else if (draws[3] < (p.truncateRate ?? 0)) decision = { kind: 'truncate' };
    else if (draws[4] < (p.slowRate ?? 0)) decision = { kind: 'slow', ms: p.slowMs ?? 500 };
    this.log.push({ path, fault: decision.kind });
    return decision;
  }
}

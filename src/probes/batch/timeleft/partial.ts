import type { ResourceUsage } from './types.js';

/**
 * PBS and SGE often report only some counters (a job that just started has no resources_used
 * yet). DIRAC then keeps the result when at least one limit is known: the other limit is taken
 * with a 20 % margin (CPU limit = 0.8 x wall limit, and the reverse), and an unknown time used is
 * the time since the pilot started (DIRAC uses the time since its plugin object was built,
 * i.e. about zero; the pilot's start is the closer lower bound).
 */
export const PARTIAL_CPU_TO_WALL = 0.8;

export function completePartialUsage(usage: ResourceUsage, elapsedSincePilotStart: number): ResourceUsage | null {
  const { CPULimit, WallClockLimit } = usage;
  if (!CPULimit && !WallClockLimit) return null;
  return {
    ...usage,
    CPULimit: CPULimit || (WallClockLimit as number) * PARTIAL_CPU_TO_WALL,
    WallClockLimit: WallClockLimit || (CPULimit as number) / PARTIAL_CPU_TO_WALL,
    CPU: usage.CPU || elapsedSincePilotStart,
    WallClock: usage.WallClock || elapsedSincePilotStart,
  };
}

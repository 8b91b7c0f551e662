import type { CompleteUsage, ResourceUsage } from './types.js';

/**
 * DIRAC's fill-in rules (TimeLeft.getTimeLeft): a missing limit or counter is derived from the
 * other one and the processor count. "Missing" is DIRAC's falsy test: null or 0. Returns an error
 * message instead of guessing when there is nothing to derive from.
 */
export function fillInUsage(usage: ResourceUsage, processors: number): CompleteUsage | { error: string } {
  const p = processors >= 1 ? processors : 1;
  let { CPU, CPULimit, WallClock, WallClockLimit } = usage;
  if (!CPULimit && !WallClockLimit) return { error: `${usage.source}: no CPU or wall-clock limit obtained` };
  if (!CPULimit) CPULimit = (WallClockLimit as number) * p;
  else if (!WallClockLimit) WallClockLimit = CPULimit / p;
  if (CPU === null && WallClock === null) {
    return { error: `${usage.source}: neither CPU nor wall-clock time used is known` };
  }
  if (!CPU) CPU = (WallClock ?? 0) * p;
  else if (!WallClock) WallClock = CPU / p;
  return { ...usage, CPU, CPULimit, WallClock: WallClock ?? 0, WallClockLimit };
}

/** The (time used, limit) pair the slot is accounted by, per the usage's Unit. */
export function accountedTime(usage: CompleteUsage): { used: number; limit: number } {
  return usage.Unit === 'WallClock'
    ? { used: usage.WallClock, limit: usage.WallClockLimit }
    : { used: usage.CPU, limit: usage.CPULimit };
}

import type { CompleteUsage, ResourceUsage } from './types.js';

/**
 * DIRAC's fill-in rules (TimeLeft.getTimeLeft): a missing limit or counter is derived from the
 * other one and the processor count. "Missing" is DIRAC's falsy test: null or 0. Returns an error
 * message instead of guessing when there is nothing to derive from.
 */
export function fillInUsage(usage: ResourceUsage, processors: number): CompleteUsage | { error: string } {
  const p = processors >= 1 ? processors : 1;
  const { CPU, CPULimit, WallClock, WallClockLimit } = usage;
  if (!CPULimit && !WallClockLimit) return { error: `${usage.source}: no CPU or wall-clock limit obtained` };
  if (CPU === null && WallClock === null) {
    return { error: `${usage.source}: neither CPU nor wall-clock time used is known` };
  }
  const cpuLimit = CPULimit || (WallClockLimit ?? 0) * p;
  const wallLimit = CPULimit && !WallClockLimit ? CPULimit / p : (WallClockLimit ?? 0);
  const cpu = CPU || (WallClock ?? 0) * p;
  const wall = CPU && !WallClock ? CPU / p : (WallClock ?? 0);
  return { ...usage, CPU: cpu, CPULimit: cpuLimit, WallClock: wall, WallClockLimit: wallLimit };
}

/** The (time used, limit) pair the slot is accounted by, per the usage's Unit. */
export function accountedTime(usage: CompleteUsage): { used: number; limit: number } {
  return usage.Unit === 'WallClock' ? { used: usage.WallClock, limit: usage.WallClockLimit } : { used: usage.CPU, limit: usage.CPULimit };
}

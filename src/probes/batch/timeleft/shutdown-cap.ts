import type { CompleteUsage } from './types.js';

/**
 * $MACHINEFEATURES/shutdowntime: the machine goes away at that time whatever the batch system
 * says, so the limits are cut to what can still run before it. Wall clock is cut directly; the
 * CPU limit is cut to the CPU the slot's processors can still burn in the remaining seconds.
 */
export function capAtShutdown(usage: CompleteUsage, secondsUntilShutdown: number, processors: number): CompleteUsage {
  const remaining = Math.max(0, secondsUntilShutdown);
  const p = processors >= 1 ? processors : 1;
  const wallLimit = Math.min(usage.WallClockLimit, usage.WallClock + remaining);
  const cpuLimit = Math.min(usage.CPULimit, usage.CPU + remaining * p);
  if (wallLimit === usage.WallClockLimit && cpuLimit === usage.CPULimit) return usage;
  return { ...usage, WallClockLimit: wallLimit, CPULimit: cpuLimit, source: `${usage.source}+mjf-shutdowntime` };
}

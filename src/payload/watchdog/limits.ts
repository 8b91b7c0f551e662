/**
 * What the watchdog enforces on one payload. Every check can be switched off with null. The limits
 * a site sets with pilot options (stalled window, looping, kill grace) have no default here: the
 * caller passes the option's value (src/pilot/options.ts holds the default). The others default
 * to DIRAC's Watchdog values (dirac-pilot.md §5).
 */
export interface WatchdogLimits {
  /** How often /proc is sampled and the checks run. DIRAC polls every 10 s. */
  sampleIntervalMs?: number;
  /** Wall clock allowed to the payload, s. DIRAC: MaxWallClockTime, 3 days. */
  wallClockSeconds?: number | null;
  /** CPU seconds allowed to the whole tree (the caller derives it from the JDL CPUTime; DIRAC ×1.2). */
  cpuSeconds?: number | null;
  /** PSS of the tree, MB. DIRAC only warns; pilot3 kills on PSS. null: no check. */
  memoryMB?: number | null;
  /** Free space in the job directory below which the job is killed, MB. DIRAC: 10 MB. */
  minDiskMB?: number | null;
  /** Size of the payload's stdout file above which it is killed, bytes. null: no cap. */
  maxStdoutBytes?: number | null;
  /** Stalled: ΔCPU/ΔWall of the tree below `minCpuRatio` over `windowSeconds` (--stalled-seconds). */
  stalled: { windowSeconds: number; minCpuRatio: number } | null;
  /** Looping: no file in the job directory modified for this many seconds (--looping-seconds). */
  loopingSeconds: number | null;
  /** Time left in the slot (batch system, MJF); the job is killed when it drops to `timeLeftFloorSeconds`. */
  timeLeftSeconds?: () => number;
  timeLeftFloorSeconds?: number;
  /** TERM to KILL, ms (--kill-grace). */
  killGraceMs: number;
  /** StandardOutput in the heartbeat: at most this many last lines and bytes. DiracX: 800 lines. */
  stdoutTailLines?: number;
  stdoutTailBytes?: number;
  /** Looping check: at most this many directory entries walked per sample, so a huge job dir stays cheap. */
  loopingScanMaxEntries?: number;
}

export type ResolvedWatchdogLimits = Required<Omit<WatchdogLimits, 'timeLeftSeconds'>> & Pick<WatchdogLimits, 'timeLeftSeconds'>;

/** The limits no pilot option sets. */
export const DEFAULT_WATCHDOG_LIMITS: Omit<ResolvedWatchdogLimits, 'stalled' | 'loopingSeconds' | 'killGraceMs'> = {
  sampleIntervalMs: 10_000,
  wallClockSeconds: 3 * 24 * 3600,
  cpuSeconds: null,
  memoryMB: null,
  minDiskMB: 10,
  maxStdoutBytes: null,
  timeLeftFloorSeconds: 0,
  stdoutTailLines: 800,
  stdoutTailBytes: 64 * 1024,
  loopingScanMaxEntries: 5000,
};

/** Defaults filled in; `undefined` means "default", `null` means "off". */
export function resolveLimits(limits: WatchdogLimits): ResolvedWatchdogLimits {
  const resolved: Record<string, unknown> = { ...DEFAULT_WATCHDOG_LIMITS };
  for (const [key, value] of Object.entries(limits)) if (value !== undefined) resolved[key] = value;
  return resolved as ResolvedWatchdogLimits;
}

/**
 * Sanity bounds on a CPU power, whatever its source. DIRAC#7760 reported DB12 figures from 50 to
 * 2250 on nodes whose true figure was about 20: os.times had returned a tiny CPU time. A figure
 * like that advertises up to a hundred times the work the slot can do, and the matcher believes
 * it. The bounds are wide enough for every CPU in use (DB12 under CPython 3.11 reads about 10 on
 * an old Atom-class core and about 70 on the fastest desktop cores; HS06 per core is 5 to 40),
 * and narrow enough to catch a clock fault or a typo (a per-node HS06 given as per-core).
 */
export const POWER_BOUNDS = { min: 1, max: 250 } as const;

/** Null when the power is usable; otherwise the one-line reason. */
export function powerProblem(power: number, what: string): string | null {
  if (!Number.isFinite(power)) return `${what} is not a number (${power})`;
  if (power < POWER_BOUNDS.min || power > POWER_BOUNDS.max) {
    return `${what} ${power} is outside the sane range ${POWER_BOUNDS.min}..${POWER_BOUNDS.max} per processor`;
  }
  return null;
}

/**
 * DB12 measures how fast CPython runs a normal-variate loop; sites and VOs compare the number
 * against Python DB12 runs and HS06 tables. The JavaScript loop runs the same algorithm many times
 * faster, so its raw NORM is multiplied by a calibration factor measured on one core against
 * bench/python/db12_reference.py (CPython 3.11). docs/cpu-work-left.md records how k was measured,
 * its spread, and how to re-measure it (bench/db12.bench.mjs).
 */
export const DB12_CALIBRATION = {
  /** score = k * raw JS NORM. */
  k: 0.108,
  /**
   * Relative uncertainty of k: one standard deviation over single paired runs (4.4 %). k drifts
   * with machine load, from 0.106 on a quiet machine to 0.110 at a load of 10 on 2 cores; 0.108
   * (the median of all 34 pairs) is within 2.5 % of both.
   */
  relativeUncertainty: 0.044,
  /** Where and how k was measured. */
  measuredOn: 'x86_64 Firecracker VM, 2 vCPUs, CPython 3.11.7 vs Node 22.23.3, both pinned to core 0; 34 paired runs in 4 series',
} as const;

/** DB12's own constants: 12.5 M draws per iteration, NORM = 250 * n / cpu seconds. */
export const DB12_DRAWS_PER_ITERATION = 12_500_000;
export const DB12_SCALE = 250;

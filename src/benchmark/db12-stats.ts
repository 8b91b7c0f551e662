/**
 * From timed chunks of one DB12 copy to one figure, with its spread. Pure.
 *
 * DB12 times one long window and divides: its NORM is draws over CPU seconds, so slow and fast
 * stretches weigh by the time they took. The estimate here does the same over the chunks that
 * are kept (sum of draws over sum of CPU), so that on a loaded node it moves the way DB12 moves.
 * What it adds is the check of every chunk: a chunk whose CPU clock is impossible (more CPU than
 * wall, none at all: the os.times class of fault behind DIRAC#7760's readings of 50 to 2250) or
 * whose speed is more than a factor OUTLIER_FACTOR from the copy's median is dropped and named.
 */
import { DB12_DRAWS_PER_ITERATION, DB12_SCALE } from './db12-calibration.js';

/** A chunk more than this factor faster or slower than its copy's median chunk is a fault, not a speed. */
export const OUTLIER_FACTOR = 2;
/** A thread cannot use more CPU than wall time; allow the clocks' granularity (µs) and the 1 ms settle. */
const CLOCK_TOLERANCE_SECONDS = 0.002;
/** Fewer kept chunks than this and the figure is refused: nothing robust can be said. */
export const MIN_KEPT_CHUNKS = 3;

export interface DroppedChunk {
  index: number;
  /** NORM of the chunk (uncalibrated), or null when its CPU time was not positive. */
  norm: number | null;
  reason: 'clock' | 'outlier';
}

export interface ChunkSummary {
  /** Uncalibrated NORM over the kept chunks: DB12's 250 per 12.5 M draws, over their summed CPU. */
  norm: number;
  /** Median chunk NORM (uncalibrated). */
  median: number;
  /** Spread of the kept chunk NORMs: 10th and 90th percentiles over the median, minus 1 (e.g. -0.08, +0.05). */
  low: number;
  high: number;
  /** Robust relative dispersion of a chunk (1.4826 MAD / median). */
  dispersion: number;
  /**
   * Relative standard error of `norm`: dispersion / sqrt(kept). It treats chunks as independent,
   * which contention that lasts longer than a chunk is not, so it is a lower bound; the bench
   * measures the run-to-run spread itself.
   */
  standardError: number;
  chunks: number;
  kept: number;
  dropped: DroppedChunk[];
}

/** DB12's NORM for `draws` draws that took `cpuSeconds` (250 per 12.5 M draws per CPU second). */
export function normOf(draws: number, cpuSeconds: number): number {
  return (DB12_SCALE * (draws / DB12_DRAWS_PER_ITERATION)) / cpuSeconds;
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (b - a) * (position - lower);
}

export function median(values: number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/**
 * Summarise one copy's chunks. Returns null (with the reasons in `dropped`) when fewer than
 * MIN_KEPT_CHUNKS chunks survive the checks.
 */
export function summarizeChunks(
  chunkCpu: number[],
  chunkWall: number[],
  chunkDraws: number,
): { summary: ChunkSummary | null; dropped: DroppedChunk[] } {
  const dropped: DroppedChunk[] = [];
  const plausible: { index: number; cpu: number; norm: number }[] = [];
  chunkCpu.forEach((cpu, index) => {
    const wall = chunkWall[index] ?? Number.NaN;
    if (!(cpu > 0) || !Number.isFinite(cpu) || !(cpu <= wall + CLOCK_TOLERANCE_SECONDS)) {
      dropped.push({ index, norm: cpu > 0 && Number.isFinite(cpu) ? normOf(chunkDraws, cpu) : null, reason: 'clock' });
    } else {
      plausible.push({ index, cpu, norm: normOf(chunkDraws, cpu) });
    }
  });
  const center = median(plausible.map((chunk) => chunk.norm));
  const kept = plausible.filter((chunk) => {
    const ok = chunk.norm <= center * OUTLIER_FACTOR && chunk.norm >= center / OUTLIER_FACTOR;
    if (!ok) dropped.push({ index: chunk.index, norm: chunk.norm, reason: 'outlier' });
    return ok;
  });
  dropped.sort((a, b) => a.index - b.index);
  if (kept.length < MIN_KEPT_CHUNKS) return { summary: null, dropped };

  const norms = kept.map((chunk) => chunk.norm).sort((a, b) => a - b);
  const mid = quantile(norms, 0.5);
  const mad = median(norms.map((value) => Math.abs(value - mid)));
  const dispersion = (1.4826 * mad) / mid;
  const totalCpu = kept.reduce((sum, chunk) => sum + chunk.cpu, 0);
  return {
    summary: {
      norm: normOf(chunkDraws * kept.length, totalCpu),
      median: mid,
      low: quantile(norms, 0.1) / mid - 1,
      high: quantile(norms, 0.9) / mid - 1,
      dispersion,
      standardError: dispersion / Math.sqrt(kept.length),
      chunks: chunkCpu.length,
      kept: kept.length,
      dropped,
    },
    dropped,
  };
}

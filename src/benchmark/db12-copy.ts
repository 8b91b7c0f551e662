/**
 * One copy of the DB12 loop, written to run inside a worker thread.
 *
 * Both functions here must stay SELF-CONTAINED: no imports, no references to module scope, and
 * no inner functions (esbuild's keepNames wraps those in a helper that lives only in the bundle's
 * scope). db12.ts ships them to each worker as source text (`Function.prototype.toString`), so
 * the benchmark works the same from vitest, from the esbuild bundle (minified or not) and from
 * the single-executable binary, none of which has a separate worker file on disk.
 */

export interface Db12CopyInput {
  /** Draws of the warm-up (DB12's iteration 0): lets the JIT compile the loop and the core clock up. */
  warmupDraws: number;
  /** Draws per measured chunk. */
  chunkDraws: number;
  /** Measured chunks wanted. */
  chunks: number;
  /** At least this many chunks are measured, whatever the wall budget says. */
  minChunks: number;
  /** Stop adding chunks once this many wall seconds have gone into measured chunks (a loaded node). */
  budgetSeconds: number;
}

export interface Db12CopyResult {
  /** CPU seconds this thread spent in each measured chunk. */
  chunkCpu: number[];
  /** Wall seconds of each measured chunk (a chunk cannot use more CPU than wall: a clock check). */
  chunkWall: number[];
  /** Which clock measured the chunks: per-thread rusage, or the scheduler's per-thread run time. */
  clock: 'threadCpuUsage' | 'schedstat';
  /** Mean and variance of all draws (about 10 and 1): returned so the JIT cannot drop the loop, and a sanity check. */
  mean: number;
  variance: number;
}

/**
 * CPU seconds of the calling thread. process.threadCpuUsage (RUSAGE_THREAD, microseconds) is
 * per-thread in Node 22.23 (checked: a busy worker reports its own time, while process.cpuUsage
 * reports the sum over all threads); /proc/thread-self/schedstat (nanoseconds on CPU, Linux)
 * covers runtimes without it.
 *
 * Both read the scheduler's per-thread runtime, which Linux brings up to date only at a timer
 * tick or a context switch: read from a thread that is busy, it lags by up to one tick (4 ms at
 * HZ=250). Blocking for 1 ms first forces a switch, and the reading is then exact (the spread
 * with and without it: docs/decisions/measurements.md).
 */
export function threadCpuSeconds(readText: (path: string) => string): number {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  const proc = process as unknown as { threadCpuUsage?: () => { user: number; system: number } };
  if (typeof proc.threadCpuUsage === 'function') {
    const usage = proc.threadCpuUsage.call(process);
    return (usage.user + usage.system) / 1e6;
  }
  const onCpuNs = Number(readText('/proc/thread-self/schedstat').trim().split(/\s+/)[0]);
  if (!Number.isFinite(onCpuNs)) throw new Error('cannot read per-thread CPU time from /proc/thread-self/schedstat');
  return onCpuNs / 1e9;
}

/** Which clock threadCpuSeconds uses in this runtime. */
export function threadCpuClock(): Db12CopyResult['clock'] {
  return typeof (process as unknown as { threadCpuUsage?: unknown }).threadCpuUsage === 'function' ? 'threadCpuUsage' : 'schedstat';
}

/**
 * The warm-up, then measured chunks until `chunks` are done or the wall budget is spent (never
 * fewer than `minChunks`). Each chunk is timed on its own, so one chunk spoiled by a clock glitch
 * or a burst of contention can be recognised afterwards (db12-stats.ts) instead of silently
 * moving the whole figure, which is what a single timed window (DB12's) cannot do.
 */
export function db12Copy(input: Db12CopyInput, cpuNow: () => number, clock: Db12CopyResult['clock']): Db12CopyResult {
  // Kinderman-Monahan ratio-of-uniforms, the method CPython's random.normalvariate uses, so
  // each draw does the same kind of work (uniforms, a log, a rejection test) as the reference.
  const magic = (4 * Math.exp(-0.5)) / Math.sqrt(2);
  const mu = 10;
  const sigma = 1;
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  const chunkCpu: number[] = [];
  const chunkWall: number[] = [];
  let spentWall = 0;
  // Chunk -1 is the warm-up; it is not timed.
  for (let chunk = -1; chunk < input.chunks; chunk += 1) {
    if (chunk >= input.minChunks && spentWall >= input.budgetSeconds) break;
    const draws = chunk < 0 ? input.warmupDraws : input.chunkDraws;
    const startCpu = chunk < 0 ? 0 : cpuNow();
    const startWall = performance.now();
    for (let draw = 0; draw < draws; draw += 1) {
      let z: number;
      for (;;) {
        const u1 = Math.random();
        const u2 = 1 - Math.random();
        z = (magic * (u1 - 0.5)) / u2;
        if ((z * z) / 4 <= -Math.log(u2)) break;
      }
      const value = mu + z * sigma;
      sum += value;
      sumSquares += value * value;
    }
    count += draws;
    if (chunk >= 0) {
      const cpu = cpuNow() - startCpu;
      const wall = (performance.now() - startWall) / 1000;
      chunkCpu.push(cpu);
      chunkWall.push(wall);
      spentWall += wall;
    }
  }
  const mean = sum / count;
  return { chunkCpu, chunkWall, clock, mean, variance: sumSquares / count - mean * mean };
}

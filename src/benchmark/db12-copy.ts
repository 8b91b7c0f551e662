/**
 * One copy of the DB12 loop, written to run inside a worker thread.
 *
 * The function must stay SELF-CONTAINED (no imports, no references to module scope): db12.ts
 * ships it to each worker as source text (`Function.prototype.toString`), so the benchmark works
 * the same from vitest, from the esbuild bundle and from the single-executable binary, none of
 * which can rely on a separate worker file on disk.
 */

export interface Db12CopyInput {
  /** Measured iterations after the warm-up one (DB12: n = 1). */
  iterations: number;
  /** Draws per iteration (DB12: 12.5 M). */
  draws: number;
}

export interface Db12CopyResult {
  /** CPU seconds this thread spent in iterations 1..n. */
  cpuSeconds: number;
  /** Wall seconds of iterations 1..n. */
  wallSeconds: number;
  /** Which clock measured cpuSeconds: per-thread rusage, or the scheduler's per-thread run time. */
  clock: 'threadCpuUsage' | 'schedstat';
  /** Mean and variance of all draws (about 10 and 1): returned so the JIT cannot drop the loop, and a sanity check. */
  mean: number;
  variance: number;
}

/** readText reads a whole file (the worker passes fs.readFileSync bound to utf8). */
export function db12Copy(input: Db12CopyInput, readText: (path: string) => string): Db12CopyResult {
  // Per-thread CPU time. process.threadCpuUsage (RUSAGE_THREAD, microseconds) exists in Node
  // 22.23; /proc/thread-self/schedstat (nanoseconds on CPU) covers runtimes without it. Both count
  // only the calling thread, so parallel copies do not see each other's work, unlike
  // process.cpuUsage, which sums every thread of the process.
  const proc = process as unknown as { threadCpuUsage?: () => { user: number; system: number } };
  const threadCpuUsage = typeof proc.threadCpuUsage === 'function' ? proc.threadCpuUsage.bind(process) : null;
  const clock: Db12CopyResult['clock'] = threadCpuUsage ? 'threadCpuUsage' : 'schedstat';
  const cpuNow = (): number => {
    if (threadCpuUsage) {
      const usage = threadCpuUsage();
      return (usage.user + usage.system) / 1e6;
    }
    const onCpuNs = Number(readText('/proc/thread-self/schedstat').trim().split(/\s+/)[0]);
    if (!Number.isFinite(onCpuNs)) throw new Error('cannot read per-thread CPU time from /proc/thread-self/schedstat');
    return onCpuNs / 1e9;
  };

  // Kinderman-Monahan ratio-of-uniforms, the method CPython's random.normalvariate uses, so
  // each draw does the same kind of work (uniforms, a log, a rejection test) as the reference.
  const magic = (4 * Math.exp(-0.5)) / Math.sqrt(2);
  const mu = 10;
  const sigma = 1;
  let sum = 0;
  let sumSquares = 0;
  let startCpu = 0;
  let startWall = 0;
  for (let iteration = 0; iteration <= input.iterations; iteration += 1) {
    if (iteration === 1) {
      startCpu = cpuNow();
      startWall = performance.now();
    }
    for (let draw = 0; draw < input.draws; draw += 1) {
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
  }
  const cpuSeconds = cpuNow() - startCpu;
  const wallSeconds = (performance.now() - startWall) / 1000;
  const count = (input.iterations + 1) * input.draws;
  const mean = sum / count;
  return { cpuSeconds, wallSeconds, clock, mean, variance: sumSquares / count - mean * mean };
}

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcSample {
  /** Seconds since sampling started. */
  t: number;
  rssMB: number;
  fds: number;
}

/** VmRSS of a process, in MB, from /proc/<pid>/status; null once it is gone. */
export function rssMB(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    const kB = line ? Number(line.split(/\s+/)[1]) : NaN;
    return Number.isFinite(kB) ? kB / 1024 : null;
  } catch {
    return null;
  }
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd); null once it is gone. */
export function openFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Least-squares slope of `value` against time, per minute (0 with fewer than two samples). */
export function slopePerMinute(samples: readonly ProcSample[], value: (s: ProcSample) => number): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const meanT = samples.reduce((sum, s) => sum + s.t, 0) / n;
  const meanV = samples.reduce((sum, s) => sum + value(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - meanT) * (value(s) - meanV);
    den += (s.t - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

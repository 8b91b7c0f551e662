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
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
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

/** utime + stime of the process itself (not its children), in seconds, from /proc/<pid>/stat. */
export function ownCpuSeconds(pid: number, ticksPerSecond = 100): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the name: state is field 3, utime 14 and stime 15 (1-based), so indices 11 and 12 here.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

import type { ProcIo, ProcStat } from '../process/proc-parsers.js';
import { processKey, readProcIo, readSmapsRollup } from '../process/process-table.js';

const PAGE_KIB = 4;

export interface TreeUsage {
  cpuSeconds: number;
  /** cpuSeconds split as prmon reports it: user (utime + cutime) and system (stime + cstime). */
  userSeconds: number;
  systemSeconds: number;
  pssMB: number;
  rssMB: number;
  vsizeMB: number;
  swapMB: number;
  processCount: number;
  threadCount: number;
  /** Bytes through read/write calls and to/from storage, over the tree's life (prmon's iomon). */
  io: ProcIo;
}

/** The counters that only grow, per process: they survive the process as described below. */
type Counters = [user: number, system: number, rchar: number, wchar: number, readBytes: number, writeBytes: number];
const ZERO: Counters = [0, 0, 0, 0, 0, 0];

function add(into: Counters, from: Readonly<Counters>): void {
  for (let i = 0; i < into.length; i++) into[i] = (into[i] as number) + (from[i] as number);
}

/**
 * CPU, I/O and memory of a process tree across samples.
 *
 * CPU and I/O: each process's own counters plus those of the children it waited for (the kernel
 * folds a reaped child's utime/stime into cutime/cstime and its /proc/<pid>/io into the parent's).
 * When a process disappears, its counters move into its parent if the parent is in the tree and
 * waits for it; if the parent is outside (init, or the pilot as subreaper), they would be lost, so
 * we keep the process's last counters in `departed`. The totals never decrease.
 */
export class TreeUsageTracker {
  private lastCounters = new Map<string, { counters: Counters; ppid: number }>();
  private readonly departed: Counters = [...ZERO];
  private readonly peak: Counters = [...ZERO];
  private raisedCpu = 0;
  maxPssMB = 0;
  maxRssMB = 0;

  constructor(private readonly procRoot?: string) {}

  update(tree: readonly ProcStat[]): TreeUsage {
    const current = new Map<string, { counters: Counters; ppid: number }>();
    const livePids = new Set<number>();
    const totals: Counters = [...ZERO];
    let pssKiB = 0;
    let rssKiB = 0;
    let swapKiB = 0;
    let vsizeBytes = 0;
    let processCount = 0;
    let threadCount = 0;
    for (const stat of tree) {
      const key = processKey(stat);
      // A zombie's /proc/<pid>/io is gone: keep what it last had, its CPU is still in its stat.
      const io = stat.state === 'Z' ? null : readProcIo(stat.pid, this.procRoot);
      const last = this.lastCounters.get(key)?.counters;
      const counters: Counters = [
        stat.utime + stat.cutime,
        stat.stime + stat.cstime,
        io?.rchar ?? last?.[2] ?? 0,
        io?.wchar ?? last?.[3] ?? 0,
        io?.readBytes ?? last?.[4] ?? 0,
        io?.writeBytes ?? last?.[5] ?? 0,
      ];
      current.set(key, { counters, ppid: stat.ppid });
      livePids.add(stat.pid);
      add(totals, counters);
      if (stat.state === 'Z') continue;
      processCount++;
      threadCount += stat.threads;
      vsizeBytes += stat.vsizeBytes;
      const smaps = readSmapsRollup(stat.pid, this.procRoot);
      // Kernel threads and processes of other users have no readable smaps: fall back to RSS.
      rssKiB += smaps?.rssKiB ?? stat.rssPages * PAGE_KIB;
      pssKiB += smaps?.pssKiB ?? stat.rssPages * PAGE_KIB;
      swapKiB += smaps?.swapKiB ?? 0;
    }
    for (const [key, last] of this.lastCounters) {
      if (current.has(key)) continue;
      if (!livePids.has(last.ppid)) add(this.departed, last.counters);
    }
    this.lastCounters = current;
    add(totals, this.departed);
    for (let i = 0; i < this.peak.length; i++) this.peak[i] = Math.max(this.peak[i] as number, totals[i] as number);
    const [user, system, rchar, wchar, readBytes, writeBytes] = this.peak;
    const usage: TreeUsage = {
      cpuSeconds: this.cpuSeconds,
      userSeconds: user,
      systemSeconds: system,
      pssMB: pssKiB / 1024,
      rssMB: rssKiB / 1024,
      vsizeMB: vsizeBytes / (1024 * 1024),
      swapMB: swapKiB / 1024,
      processCount,
      threadCount,
      io: { rchar, wchar, readBytes, writeBytes },
    };
    this.maxPssMB = Math.max(this.maxPssMB, usage.pssMB);
    this.maxRssMB = Math.max(this.maxRssMB, usage.rssMB);
    return usage;
  }

  get cpuSeconds(): number {
    return Math.max(this.peak[0] + this.peak[1], this.raisedCpu);
  }

  /** For a CPU figure measured elsewhere (e.g. getrusage of children) that is known to be better. */
  raiseCpu(seconds: number): void {
    this.raisedCpu = Math.max(this.raisedCpu, seconds);
  }
}

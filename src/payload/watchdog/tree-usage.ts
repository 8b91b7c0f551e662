import type { ProcStat } from '../process/proc-parsers.js';
import { processKey, readSmapsRollup } from '../process/process-table.js';

const PAGE_KIB = 4;

export interface TreeUsage {
  cpuSeconds: number;
  pssMB: number;
  rssMB: number;
  vsizeMB: number;
  processCount: number;
}

/**
 * CPU and memory of a process tree across samples.
 *
 * CPU: each process's own utime+stime plus cutime+cstime (children it waited for). When a process
 * disappears, its time moves into its parent's cutime if the parent is in the tree and waits for it;
 * if the parent is outside (init, or the pilot as subreaper), that time would be lost, so we keep
 * the process's last total in `departedSeconds`. The result never decreases.
 */
export class TreeUsageTracker {
  private lastTotals = new Map<string, { total: number; ppid: number }>();
  private departedSeconds = 0;
  private maxCpu = 0;
  maxPssMB = 0;
  maxRssMB = 0;

  constructor(private readonly procRoot?: string) {}

  update(tree: readonly ProcStat[]): TreeUsage {
    const current = new Map<string, { total: number; ppid: number }>();
    const livePids = new Set<number>();
    let cpu = 0;
    let pssKiB = 0;
    let rssKiB = 0;
    let vsizeBytes = 0;
    let processCount = 0;
    for (const stat of tree) {
      const total = stat.utime + stat.stime + stat.cutime + stat.cstime;
      current.set(processKey(stat), { total, ppid: stat.ppid });
      livePids.add(stat.pid);
      cpu += total;
      if (stat.state === 'Z') continue;
      processCount++;
      vsizeBytes += stat.vsizeBytes;
      const smaps = readSmapsRollup(stat.pid, this.procRoot);
      // Kernel threads and processes of other users have no readable smaps: fall back to RSS.
      rssKiB += smaps?.rssKiB ?? stat.rssPages * PAGE_KIB;
      pssKiB += smaps?.pssKiB ?? stat.rssPages * PAGE_KIB;
    }
    for (const [key, last] of this.lastTotals) {
      if (current.has(key)) continue;
      if (!livePids.has(last.ppid)) this.departedSeconds += last.total;
    }
    this.lastTotals = current;
    this.maxCpu = Math.max(this.maxCpu, cpu + this.departedSeconds);
    const usage: TreeUsage = {
      cpuSeconds: this.maxCpu,
      pssMB: pssKiB / 1024,
      rssMB: rssKiB / 1024,
      vsizeMB: vsizeBytes / (1024 * 1024),
      processCount,
    };
    this.maxPssMB = Math.max(this.maxPssMB, usage.pssMB);
    this.maxRssMB = Math.max(this.maxRssMB, usage.rssMB);
    return usage;
  }

  get cpuSeconds(): number {
    return this.maxCpu;
  }

  /** For a CPU figure measured elsewhere (e.g. getrusage of children) that is known to be better. */
  raiseCpu(seconds: number): void {
    this.maxCpu = Math.max(this.maxCpu, seconds);
  }
}

import type { ProcStat } from './proc-parsers.js';
import { readProcStat } from './process-table.js';
import { liveMembers } from './process-tree.js';

export interface TerminateOptions {
  /** Re-scans the payload's processes (zombies included). */
  scan: () => ProcStat[];
  /** TERM to KILL, ms. */
  graceMs: number;
  /** How often to look again while waiting, ms. */
  pollMs?: number;
  /** Upper bound on KILL rounds: a fork bomb must not keep us here forever. */
  maxKillRounds?: number;
  /** Called after each scan, e.g. to reap zombies re-parented to us. */
  afterScan?: (tree: ProcStat[]) => void;
  procRoot?: string;
}

export interface TerminateReport {
  terminated: number;
  killed: number;
  /** Pids still alive after the last KILL round (should be empty; logged if not). */
  survivors: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * TERM to every process of the tree (the payload gets the grace period to clean up), re-scanning so
 * that children forked meanwhile get it too; then, for whatever is left, STOP everything first (a
 * stopped process cannot fork, so the tree cannot grow between scan and kill) and KILL it, until
 * nothing but zombies remains.
 */
export async function terminateTree(options: TerminateOptions): Promise<TerminateReport> {
  const pollMs = options.pollMs ?? 100;
  const signalled = new Set<string>();
  const report: TerminateReport = { terminated: 0, killed: 0, survivors: [] };

  const scanLive = (): ProcStat[] => {
    const tree = options.scan();
    options.afterScan?.(tree);
    return liveMembers(tree);
  };

  const deadline = Date.now() + options.graceMs;
  for (;;) {
    const live = scanLive();
    if (live.length === 0) return report;
    for (const stat of live) {
      const key = `${stat.pid}:${stat.startTicks}`;
      if (signalled.has(key)) continue;
      signalled.add(key);
      if (signalIfSame(stat, 'SIGTERM', options.procRoot)) report.terminated++;
      // A stopped process would hold TERM pending forever.
      signalIfSame(stat, 'SIGCONT', options.procRoot);
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }

  const rounds = options.maxKillRounds ?? 50;
  for (let round = 0; round < rounds; round++) {
    const live = scanLive();
    if (live.length === 0) return report;
    for (const stat of live) signalIfSame(stat, 'SIGSTOP', options.procRoot);
    for (const stat of live) if (signalIfSame(stat, 'SIGKILL', options.procRoot)) report.killed++;
    await sleep(Math.min(pollMs, 20 * (round + 1)));
  }
  report.survivors = scanLive().map((s) => s.pid);
  return report;
}

/** Signals the process only if the pid still names the same process (start time unchanged). */
export function signalIfSame(stat: ProcStat, signal: NodeJS.Signals, procRoot?: string): boolean {
  const now = readProcStat(stat.pid, procRoot);
  if (!now || now.startTicks !== stat.startTicks) return false;
  try {
    process.kill(stat.pid, signal);
    return true;
  } catch {
    return false;
  }
}

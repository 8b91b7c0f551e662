import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NativeAddon, ReapedChild } from './types.js';

/** The fields of /proc/<pid>/stat the reaper needs. */
export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  /** Clock ticks since boot: with the pid, identifies a process across pid reuse. */
  startTime: number;
}

/**
 * Parses one /proc/<pid>/stat line. The command name sits in parentheses and may itself hold
 * spaces and ')' characters, so the fields are counted from the LAST ')'. Null when malformed.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // After ") ": state(3) ppid(4) ... starttime(22); index 0 here is field 3.
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const state = fields[0];
  const ppid = Number(fields[1]);
  const startTime = Number(fields[19]);
  if (!Number.isInteger(pid) || pid <= 0 || !state || !Number.isInteger(ppid) || !Number.isInteger(startTime)) {
    return null;
  }
  return { pid, state, ppid, startTime };
}

/** Every readable process under procRoot; processes that vanish mid-scan are skipped. */
export function listProcesses(procRoot = '/proc'): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parseProcStat(readFileSync(path.join(procRoot, name, 'stat'), 'utf8'));
      if (stat) out.push(stat);
    } catch {
      // exited between readdir and read
    }
  }
  return out;
}

/** All living descendants of rootPid (not rootPid itself), from one /proc snapshot. */
export function descendantsOf(rootPid: number, processes: ProcStat[] = listProcesses()): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const proc of processes) {
    const siblings = byParent.get(proc.ppid) ?? [];
    siblings.push(proc);
    byParent.set(proc.ppid, siblings);
  }
  const out: ProcStat[] = [];
  const queue = [rootPid];
  const seen = new Set<number>(queue);
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/**
 * Reaps our zombie children that `isOrphan` vouches for, via the addon's pid-restricted reap.
 * `isOrphan` must answer true only for processes that were a payload's descendants (recorded
 * with `descendantsOf` while they lived, matched on pid AND startTime) and never for a child
 * Node spawned itself: libuv reaps those and must see their exit. Returns what was reaped;
 * an empty list when the addon has no reap().
 */
export function reapOrphans(
  addon: Pick<NativeAddon, 'reap'> | null,
  isOrphan: (zombie: ProcStat) => boolean,
  options: { selfPid?: number; processes?: ProcStat[] } = {},
): ReapedChild[] {
  if (!addon?.reap) return [];
  const selfPid = options.selfPid ?? process.pid;
  const zombies = (options.processes ?? listProcesses()).filter(
    (proc) => proc.ppid === selfPid && proc.state === 'Z' && isOrphan(proc),
  );
  return zombies.length > 0 ? addon.reap(zombies.map((z) => z.pid)) : [];
}

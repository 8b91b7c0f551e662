import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  CLOCK_TICKS_PER_SECOND,
  environValues,
  parseProcIo,
  parseProcStat,
  parseSmapsRollup,
  type ProcIo,
  type ProcStat,
  type SmapsRollup,
} from './proc-parsers.js';
import { readProcBytes, readProcText } from '../../probes/proc-read.js';

/*
 * Synchronous reads on purpose: /proc files are generated in memory by the kernel, a read costs
 * microseconds, and a snapshot taken in one go is more consistent than one interleaved with other
 * event-loop work. Through one reused buffer (proc-read.ts): fs.readFileSync allocates 64 KiB per
 * /proc file.
 */

export const DEFAULT_PROC_ROOT = '/proc';

/** Every process visible in `procRoot`, keyed by pid. Processes that vanish mid-scan are skipped. */
export function readProcessTable(procRoot = DEFAULT_PROC_ROOT): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>();
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return table;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name), procRoot);
    if (stat) table.set(stat.pid, stat);
  }
  return table;
}

let shared: { root: string; at: number; table: Map<number, ProcStat> } | null = null;

/**
 * The process table, shared by every watchdog that samples within `maxAgeMs` of the last read:
 * with many payloads, one scan of /proc per tick instead of one per payload. Killing always reads
 * a fresh table (readProcessTable).
 */
export function readProcessTableShared(procRoot = DEFAULT_PROC_ROOT, maxAgeMs = 250, now = Date.now()): Map<number, ProcStat> {
  if (shared && shared.root === procRoot && now - shared.at <= maxAgeMs) return shared.table;
  shared = { root: procRoot, at: now, table: readProcessTable(procRoot) };
  pruneEnvValuesCache(shared.table);
  return shared.table;
}

export function readProcStat(pid: number, procRoot = DEFAULT_PROC_ROOT): ProcStat | null {
  try {
    return parseProcStat(readProcText(path.join(procRoot, String(pid), 'stat')));
  } catch {
    return null;
  }
}

export function readSmapsRollup(pid: number, procRoot = DEFAULT_PROC_ROOT): SmapsRollup | null {
  try {
    return parseSmapsRollup(readProcText(path.join(procRoot, String(pid), 'smaps_rollup')));
  } catch {
    return null;
  }
}

export function readProcIo(pid: number, procRoot = DEFAULT_PROC_ROOT): ProcIo | null {
  try {
    return parseProcIo(readProcText(path.join(procRoot, String(pid), 'io')));
  } catch {
    return null;
  }
}

/** The process's command line, arguments joined by spaces (DIRAC matches StopSigRegex on this); null when gone. */
export function readCommandLine(pid: number, procRoot = DEFAULT_PROC_ROOT): string | null {
  try {
    const bytes = readProcBytes(path.join(procRoot, String(pid), 'cmdline'), 64 * 1024);
    return bytes.toString('utf8').replace(/\0+$/, '').replaceAll('\0', ' ');
  } catch {
    return null;
  }
}

/**
 * The values `name` has in the process's environment (empty when unreadable), read once per
 * process: with N payloads, each watchdog asks about every process younger than its payload, so
 * reading environ per question made a tick cost O(N²) reads (issue 21, supervision bench). A
 * process keeps its pid and start time across exec, and a cached answer can only keep a process
 * that carried a payload's marker counted with that payload, which is where it came from.
 */
export function processEnvValues(
  stat: Pick<ProcStat, 'pid' | 'startTicks'>,
  name: string,
  procRoot = DEFAULT_PROC_ROOT,
): readonly string[] {
  const key = processKey(stat);
  const cached = envValuesCache.get(key);
  if (cached && cached.name === name && cached.procRoot === procRoot) return cached.values;
  let values: string[];
  try {
    values = environValues(readProcBytes(path.join(procRoot, String(stat.pid), 'environ')), name);
  } catch {
    values = [];
  }
  if (envValuesCache.size >= ENV_CACHE_MAX) envValuesCache.clear();
  envValuesCache.set(key, { name, procRoot, values });
  return values;
}

const envValuesCache = new Map<string, { name: string; procRoot: string; values: string[] }>();
/** A bound for a node that churns processes faster than tables are read (pruned on every shared read). */
const ENV_CACHE_MAX = 50_000;

/** Forgets processes that are gone: called with each fresh shared table. */
function pruneEnvValuesCache(table: Map<number, ProcStat>): void {
  if (envValuesCache.size === 0) return;
  const alive = new Set<string>();
  for (const stat of table.values()) alive.add(processKey(stat));
  for (const key of envValuesCache.keys()) if (!alive.has(key)) envValuesCache.delete(key);
}

/** A process identity that survives pid reuse: the kernel never gives one pid the same start time twice. */
export function processKey(stat: Pick<ProcStat, 'pid' | 'startTicks'>): string {
  return `${stat.pid}:${stat.startTicks}`;
}

/** Clock ticks since boot, in the unit of /proc/<pid>/stat's start time (both follow time namespaces). */
export function readUptimeTicks(procRoot = DEFAULT_PROC_ROOT): number {
  try {
    const seconds = Number(readProcText(path.join(procRoot, 'uptime')).trim().split(/\s+/)[0]);
    return Number.isFinite(seconds) ? Math.floor(seconds * CLOCK_TICKS_PER_SECOND) : 0;
  } catch {
    return 0;
  }
}

import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  CLOCK_TICKS_PER_SECOND,
  environHas,
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

/** Whether the process's initial environment carries `name=value` (false when unreadable). */
export function processHasEnv(pid: number, name: string, value: string, procRoot = DEFAULT_PROC_ROOT): boolean {
  try {
    return environHas(readProcBytes(path.join(procRoot, String(pid), 'environ')), name, value);
  } catch {
    return false;
  }
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

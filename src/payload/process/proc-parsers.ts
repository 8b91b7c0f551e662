/**
 * Parsers for the /proc files the supervisor and the watchdog read. Each takes the file's text and
 * returns a typed record, or null when the text is not what the kernel writes (a process that died
 * mid-read gives an empty file; a foreign /proc may give anything): callers treat null as "gone".
 */

/** Linux fixes USER_HZ at 100 on every architecture we ship (x86_64, aarch64), whatever CONFIG_HZ is. */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcStat {
  pid: number;
  comm: string;
  /** One letter: R running, S sleeping, D disk, Z zombie, T stopped, t traced, X dead, I idle. */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Own CPU time, seconds. */
  utime: number;
  stime: number;
  /** CPU of children this process has waited for, seconds. */
  cutime: number;
  cstime: number;
  /** Start time in clock ticks since boot: with the pid, it identifies a process across pid reuse. */
  startTicks: number;
  vsizeBytes: number;
  rssPages: number;
  /** Threads of the process (field 20). */
  threads: number;
}

/**
 * /proc/<pid>/stat. The command name sits in parentheses and may itself contain spaces and
 * parentheses, so the numeric fields are read after the LAST ')'.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is stat field 3 (state); we need up to field 24 (rss) → index 21.
  if (!Number.isInteger(pid) || fields.length < 22) return null;
  const num = (index: number): number => Number(fields[index]);
  const values = {
    ppid: num(1),
    pgrp: num(2),
    session: num(3),
    utime: num(11),
    stime: num(12),
    cutime: num(13),
    cstime: num(14),
    threads: num(17),
    startTicks: num(19),
    vsizeBytes: num(20),
    rssPages: num(21),
  };
  if (Object.values(values).some((v) => !Number.isFinite(v))) return null;
  const state = fields[0] ?? '';
  if (!/^[A-Za-z]$/.test(state)) return null;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state,
    ppid: values.ppid,
    pgrp: values.pgrp,
    session: values.session,
    utime: values.utime / CLOCK_TICKS_PER_SECOND,
    stime: values.stime / CLOCK_TICKS_PER_SECOND,
    cutime: values.cutime / CLOCK_TICKS_PER_SECOND,
    cstime: values.cstime / CLOCK_TICKS_PER_SECOND,
    startTicks: values.startTicks,
    vsizeBytes: values.vsizeBytes,
    rssPages: values.rssPages,
    threads: values.threads,
  };
}

export interface SmapsRollup {
  rssKiB: number;
  pssKiB: number;
  swapPssKiB: number;
  /** Swapped-out pages of the process (prmon's `swap`). */
  swapKiB: number;
}

/** /proc/<pid>/smaps_rollup (Linux ≥ 4.14): `Key:   N kB` lines after one header line. */
export function parseSmapsRollup(text: string): SmapsRollup | null {
  const read = (key: string): number | null => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) : null;
  };
  const rssKiB = read('Rss');
  const pssKiB = read('Pss');
  if (rssKiB === null || pssKiB === null) return null;
  return { rssKiB, pssKiB, swapPssKiB: read('SwapPss') ?? 0, swapKiB: read('Swap') ?? 0 };
}

/** /proc/<pid>/io: the four byte counters prmon reports (readable for our own processes only). */
export interface ProcIo {
  rchar: number;
  wchar: number;
  readBytes: number;
  writeBytes: number;
}

export function parseProcIo(text: string): ProcIo | null {
  const read = (key: string): number | null => {
    const match = new RegExp(`^${key}: (\\d+)$`, 'm').exec(text);
    return match ? Number(match[1]) : null;
  };
  const values = { rchar: read('rchar'), wchar: read('wchar'), readBytes: read('read_bytes'), writeBytes: read('write_bytes') };
  if (Object.values(values).some((v) => v === null)) return null;
  return values as ProcIo;
}

/** Every value `name` has in a NUL-separated /proc/<pid>/environ block (a block may name a variable twice). */
export function environValues(environ: Buffer, name: string): string[] {
  const prefix = Buffer.from(`${name}=`, 'latin1');
  const values: string[] = [];
  for (let at = environ.indexOf(prefix); at !== -1; at = environ.indexOf(prefix, at + 1)) {
    if (at !== 0 && environ[at - 1] !== 0) continue;
    const end = environ.indexOf(0, at + prefix.length);
    values.push(environ.toString('latin1', at + prefix.length, end === -1 ? environ.length : end));
  }
  return values;
}

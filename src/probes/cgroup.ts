import { posix } from 'node:path';
import { parseCpuList, parseInteger } from './parse.js';
import type { NodeSource } from './source.js';
import type { Warnings } from './warnings.js';

/**
 * The limits the kernel enforces on this process's cgroup, v1 or v2. A limit set on any
 * ancestor applies too, so we walk from our cgroup up to the mount and keep the tightest.
 * When the cgroup path is not visible under /sys/fs/cgroup (cgroup namespace, container),
 * the mount root is our cgroup.
 */
export interface CgroupLimits {
  version: 'v1' | 'v2' | null;
  /** Our cgroup path as /proc/self/cgroup names it. */
  path: string | null;
  cpusetCpus: number[] | null;
  /** cpu.max quota / period (v2) or cfs_quota_us / cfs_period_us (v1); null when unlimited. */
  cpuQuota: number | null;
  memoryLimitBytes: number | null;
}

/** v1 reports "unlimited" as a page-rounded LONG_MAX; anything this large is no limit. */
const UNLIMITED_BYTES = 2 ** 60;

interface CgroupLine {
  controllers: string[];
  path: string;
}

export function parseProcSelfCgroup(text: string): CgroupLine[] {
  const lines: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (match) lines.push({ controllers: (match[2] ?? '').split(',').filter(Boolean), path: match[3] ?? '/' });
  }
  return lines;
}

/** Directories from our cgroup up to the mount root, deepest first. */
function ancestry(mount: string, cgroupPath: string): string[] {
  const dirs: string[] = [];
  let current = posix.join(mount, cgroupPath);
  while (current.startsWith(mount) && current.length >= mount.length) {
    dirs.push(current);
    if (current === mount) break;
    current = posix.dirname(current);
  }
  return dirs;
}

function minOrNull(values: Array<number | null>): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length > 0 ? Math.min(...present) : null;
}

export function parseCpuMax(text: string): number | null | 'invalid' {
  const match = /^(max|\d+)(?:\s+(\d+))?\s*$/.exec(text.trim());
  if (!match) return 'invalid';
  if (match[1] === 'max') return null;
  const quota = Number(match[1]);
  const period = match[2] === undefined ? 100000 : Number(match[2]);
  return period > 0 ? quota / period : 'invalid';
}

export function parseMemoryMax(text: string): number | null | 'invalid' {
  const trimmed = text.trim();
  if (trimmed === 'max') return null;
  const value = parseInteger(trimmed, true);
  if (value === null) {
    // LONG_MAX-sized v1 values overflow the safe-integer check but still mean "no limit".
    return /^\d{17,}$/.test(trimmed) ? null : 'invalid';
  }
  if (value < 0 || value >= UNLIMITED_BYTES) return null;
  return value;
}

class LimitReader {
  constructor(
    private readonly source: NodeSource,
    private readonly warnings: Warnings,
  ) {}

  async read<T>(file: string, parse: (text: string) => T | 'invalid'): Promise<T | null> {
    const text = await this.source.readText(file);
    if (text === null) return null;
    const value = parse(text);
    if (value === 'invalid') {
      this.warnings.add('cgroup', `${file} is not understood: ${JSON.stringify(text.trim().slice(0, 60))}`);
      return null;
    }
    return value;
  }

  async visibleDirs(mount: string, cgroupPath: string): Promise<string[]> {
    const dirs = ancestry(mount, cgroupPath);
    const present = await Promise.all(dirs.map(async (dir) => ((await this.source.listDir(dir)) !== null ? dir : null)));
    return present.filter((dir): dir is string => dir !== null);
  }
}

const parseCpuset = (text: string): number[] | 'invalid' => parseCpuList(text) ?? 'invalid';

async function readV2(reader: LimitReader, cgroupPath: string): Promise<Omit<CgroupLimits, 'version' | 'path'>> {
  const dirs = await reader.visibleDirs('/sys/fs/cgroup', cgroupPath);
  const perDir = await Promise.all(
    dirs.map(async (dir) => {
      const [quota, memory, cpuset] = await Promise.all([
        reader.read(`${dir}/cpu.max`, parseCpuMax),
        reader.read(`${dir}/memory.max`, parseMemoryMax),
        reader.read(`${dir}/cpuset.cpus.effective`, parseCpuset),
      ]);
      return { quota, memory, cpuset };
    }),
  );
  // The deepest effective cpuset already reflects every ancestor's restriction.
  const cpuset = perDir.find((entry) => entry.cpuset !== null && entry.cpuset.length > 0)?.cpuset ?? null;
  return {
    cpusetCpus: cpuset,
    cpuQuota: minOrNull(perDir.map((entry) => entry.quota)),
    memoryLimitBytes: minOrNull(perDir.map((entry) => entry.memory)),
  };
}

async function readV1(reader: LimitReader, lines: CgroupLine[]): Promise<Omit<CgroupLimits, 'version' | 'path'>> {
  const find = (controller: string): CgroupLine | undefined => lines.find((line) => line.controllers.includes(controller));
  const mountsFor = (line: CgroupLine | undefined, controller: string): string[] =>
    line ? [...new Set([`/sys/fs/cgroup/${line.controllers.join(',')}`, `/sys/fs/cgroup/${controller}`])] : [];

  const dirsFor = async (controller: string): Promise<string[]> => {
    const line = find(controller);
    for (const mount of mountsFor(line, controller)) {
      const dirs = await reader.visibleDirs(mount, line?.path ?? '/');
      if (dirs.length > 0) return dirs;
    }
    return [];
  };
  const [memoryDirs, cpuDirs, cpusetDirs] = await Promise.all([dirsFor('memory'), dirsFor('cpu'), dirsFor('cpuset')]);

  const memory = await Promise.all(memoryDirs.map((dir) => reader.read(`${dir}/memory.limit_in_bytes`, parseMemoryMax)));
  const quotas = await Promise.all(
    cpuDirs.map(async (dir) => {
      const [quota, period] = await Promise.all([
        reader.read(`${dir}/cpu.cfs_quota_us`, (text) => parseInteger(text, true) ?? 'invalid'),
        reader.read(`${dir}/cpu.cfs_period_us`, (text) => parseInteger(text) ?? 'invalid'),
      ]);
      return quota !== null && quota > 0 && period !== null && period > 0 ? quota / period : null;
    }),
  );
  let cpuset: number[] | null = null;
  for (const dir of cpusetDirs) {
    cpuset = (await reader.read(`${dir}/cpuset.effective_cpus`, parseCpuset)) ?? (await reader.read(`${dir}/cpuset.cpus`, parseCpuset));
    if (cpuset !== null && cpuset.length > 0) break;
  }
  return { cpusetCpus: cpuset && cpuset.length > 0 ? cpuset : null, cpuQuota: minOrNull(quotas), memoryLimitBytes: minOrNull(memory) };
}

export async function readCgroupLimits(source: NodeSource, warnings: Warnings): Promise<CgroupLimits> {
  const [selfText, controllers] = await Promise.all([
    source.readText('/proc/self/cgroup'),
    source.readText('/sys/fs/cgroup/cgroup.controllers'),
  ]);
  const none: CgroupLimits = { version: null, path: null, cpusetCpus: null, cpuQuota: null, memoryLimitBytes: null };
  if (selfText === null) return none;
  const lines = parseProcSelfCgroup(selfText);
  if (lines.length === 0) {
    warnings.add('cgroup', `/proc/self/cgroup is not understood: ${JSON.stringify(selfText.trim().slice(0, 60))}`);
    return none;
  }
  const reader = new LimitReader(source, warnings);
  const v1Lines = lines.filter((line) => line.controllers.length > 0 && !line.controllers.every((name) => name.startsWith('name=')));
  const unified = lines.find((line) => line.controllers.length === 0);
  if (v1Lines.length === 0 && unified) {
    if (controllers === null)
      warnings.add('cgroup', 'cgroup v2 path found but /sys/fs/cgroup/cgroup.controllers is missing; limits may be unknown');
    return { version: 'v2', path: unified.path, ...(await readV2(reader, unified.path)) };
  }
  return {
    version: 'v1',
    path: v1Lines.find((line) => line.controllers.includes('memory'))?.path ?? v1Lines[0]?.path ?? null,
    ...(await readV1(reader, v1Lines)),
  };
}

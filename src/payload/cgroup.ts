import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../core/logger.js';

/**
 * A job's own cgroup, where the node lets the pilot create one (cgroup delegation): the kernel then
 * enforces the job's memory share, on top of the watchdog. Nothing here is required: when the
 * pilot's cgroup is not writable (the usual case under a batch system), jobs run without one.
 */
export interface JobCgroup {
  /** The cgroup directory. */
  dir: string;
  /** Where a process writes its pid to join (cgroup.procs). */
  procsFile: string;
  version: 1 | 2;
  /** Whether the kernel killed a process of the job for memory since the cgroup was made. */
  oomKilled(): Promise<boolean>;
  /** Removes the (by then empty) cgroup. */
  remove(): Promise<void>;
}

export interface CgroupRoots {
  /** /proc/self/cgroup of the pilot. */
  procSelfCgroup: string;
  /** Where cgroup file systems are mounted (default /sys/fs/cgroup). */
  mountRoot: string;
}

/** The memory cgroup directory the pilot runs in, and which hierarchy it belongs to. */
export function pilotMemoryCgroup(roots: CgroupRoots): { dir: string; version: 1 | 2 } | null {
  let text: string;
  try {
    text = readFileSync(roots.procSelfCgroup, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [, controllers, rel] = line.split(':');
    if (rel === undefined) continue;
    if (controllers?.split(',').includes('memory')) return { dir: path.join(roots.mountRoot, 'memory', rel), version: 1 };
  }
  const unified = text.split('\n').find((l) => l.startsWith('0::'));
  if (unified && existsSync(path.join(roots.mountRoot, 'cgroup.controllers'))) {
    return { dir: path.join(roots.mountRoot, unified.slice(3)), version: 2 };
  }
  return null;
}

function oomKillCount(text: string): number {
  const match = text.match(/^oom_kill (\d+)$/m);
  return match ? Number(match[1]) : 0;
}

/**
 * Creates `dirac-pilot<pid>-job<id>` below the pilot's memory cgroup with the job's memory limit
 * (`memory.max`: the JDL's MaxRAM, not its MinRAM request), or returns
 * null (with the reason at debug level) when the node does not delegate. cgroup v2 needs the memory
 * controller already enabled for the pilot's children (a delegated subtree, or a container's root).
 */
export async function createJobCgroup(
  jobId: number,
  memoryMB: number,
  logger: Logger,
  roots: CgroupRoots = { procSelfCgroup: '/proc/self/cgroup', mountRoot: '/sys/fs/cgroup' },
  options: { noSwap?: boolean } = {},
): Promise<JobCgroup | null> {
  const parent = pilotMemoryCgroup(roots);
  if (!parent) return null;
  // The pilot's pid in the name: two pilots sharing a cgroup (or job ids from two servers) never collide.
  const dir = path.join(parent.dir, `dirac-pilot${process.pid}-job${jobId}`);
  const bytes = String(Math.max(1, Math.round(memoryMB)) * 1024 * 1024);
  try {
    if (parent.version === 2) {
      const enabled = await readFile(path.join(parent.dir, 'cgroup.subtree_control'), 'utf8');
      if (!enabled.split(/\s+/).includes('memory')) {
        logger.debug({ cgroup: parent.dir }, 'no per-job cgroup: the memory controller is not delegated to the pilot');
        return null;
      }
    }
    await mkdir(dir);
    await writeFile(path.join(dir, parent.version === 2 ? 'memory.max' : 'memory.limit_in_bytes'), bytes);
    // MemoryNoSwap: the limit covers RAM and swap together. Otherwise swap follows the parent's rule.
    if (parent.version === 2 && options.noSwap) await writeFile(path.join(dir, 'memory.swap.max'), '0').catch(() => undefined);
  } catch (error) {
    logger.debug({ cgroup: dir, err: (error as NodeJS.ErrnoException).code ?? String(error) }, 'no per-job cgroup: not delegated here');
    await rmdir(dir).catch(() => undefined);
    return null;
  }
  const eventsFile = path.join(dir, parent.version === 2 ? 'memory.events' : 'memory.oom_control');
  const before = oomKillCount(await readFile(eventsFile, 'utf8').catch(() => ''));
  return {
    dir,
    procsFile: path.join(dir, 'cgroup.procs'),
    version: parent.version,
    oomKilled: async () => oomKillCount(await readFile(eventsFile, 'utf8').catch(() => '')) > before,
    remove: async () => {
      // The supervisor has seen every process of the job gone; the kernel may lag a moment.
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          await rmdir(dir);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      logger.warn({ cgroup: dir }, 'job cgroup could not be removed');
    },
  };
}

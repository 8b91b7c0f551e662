import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCpuList } from '../../probes/parse.js';
import type { Logger } from '../../core/logger.js';
import type { LaunchPlan } from './types.js';

/** CPUs this process may run on (affinity, which the kernel already narrowed by the cgroup cpuset). */
export function readAllowedCpus(procStatus = '/proc/self/status'): number[] | null {
  try {
    const line = readFileSync(procStatus, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Cpus_allowed_list:'));
    return line ? parseCpuList(line.slice('Cpus_allowed_list:'.length).trim()) : null;
  } catch {
    return null;
  }
}

function findTaskset(searchPath: string | undefined): string | null {
  for (const dir of [...(searchPath ?? '').split(':').filter(Boolean), '/usr/bin', '/bin']) {
    const candidate = path.join(dir, 'taskset');
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

let warned = false;

/**
 * Pins the payload to its slot's CPUs before it runs a single instruction: the root is started
 * through util-linux's `taskset`, which sets the affinity and execs it (same pid), so every
 * process it forks inherits the set. Without taskset the payload runs unpinned, with a warning once.
 */
export function pinToCpus(plan: LaunchPlan, cpus: readonly number[] | undefined, logger: Logger): LaunchPlan {
  if (!cpus || cpus.length === 0) return plan;
  const taskset = findTaskset(process.env.PATH);
  if (!taskset) {
    if (!warned) logger.warn('taskset not found: payloads are not pinned to their CPUs');
    warned = true;
    return plan;
  }
  return { ...plan, file: taskset, args: ['--cpu-list', cpus.join(','), plan.file, ...plan.args] };
}

/**
 * Starts the payload inside its job cgroup: a shell writes its own pid to the cgroup's procs file
 * and execs the payload, so the payload and everything it forks are in the cgroup from the first
 * instruction. The shell text is constant; the file and the command travel as arguments.
 */
export function joinCgroup(plan: LaunchPlan, procsFile: string | undefined): LaunchPlan {
  if (!procsFile) return plan;
  return { ...plan, file: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', procsFile, plan.file, ...plan.args] };
}

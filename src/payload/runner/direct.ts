import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LaunchPlan, PayloadOptions } from './types.js';

/**
 * The executable as DIRAC's JobWrapper finds it: a path (with a slash) is taken relative to the
 * job directory; a bare name is a file in the job directory if one exists (sandbox scripts), else a
 * command looked up on the payload's PATH.
 */
export function resolveExecutable(executable: string, cwd: string): string {
  if (executable.includes('/')) return path.resolve(cwd, executable);
  const local = path.join(cwd, executable);
  return existsSync(local) && statSync(local).isFile() ? local : executable;
}

/** Direct runner: the payload runs as the pilot's user, in the job directory, with exactly `env`. */
export function planDirect(options: PayloadOptions, marker: { name: string; value: string }): LaunchPlan {
  const [executable, ...args] = options.argv;
  if (executable === undefined) throw new Error('payload argv is empty');
  return {
    file: resolveExecutable(executable, options.cwd),
    args,
    env: { ...options.env, [marker.name]: marker.value },
    cwd: options.cwd,
  };
}

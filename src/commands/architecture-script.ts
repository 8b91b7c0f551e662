import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { withDeadline } from '../probes/deadline.js';

/**
 * DIRAC pilot --architectureScript: a VO's script that names the Platform its jobs ask for (LHCb's
 * gives `x86_64-el9.avx2+fma`-like names instead of DIRAC's `Linux_x86_64_glibc-2.34`). DIRAC
 * finds it in the DIRAC installation; here it is looked for as given (a path), under each CVMFS
 * location (and its bin/), then on PATH. Its last non-empty output line is the Platform.
 */
export interface ArchitectureScriptResult {
  platform: string | null;
  /** Why the native platform stays: not found, failed, timed out, said nothing. */
  problem?: string;
  script?: string;
}

/** How long one filesystem look may take on a stuck mount, and how long the script may run. */
const LOOK_MS = 2000;
const RUN_MS = 30_000;

async function executable(file: string): Promise<boolean> {
  return withDeadline(
    access(file, constants.X_OK).then(
      () => true,
      () => false,
    ),
    LOOK_MS,
    false,
  );
}

export async function findArchitectureScript(
  name: string,
  cvmfsLocations: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<string | null> {
  if (name.includes('/')) return (await executable(name)) ? path.resolve(name) : null;
  const dirs = [
    ...cvmfsLocations.flatMap((location) => [location, path.join(location, 'bin')]),
    ...(env.PATH ?? '').split(':').filter((d) => path.isAbsolute(d)),
  ];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await executable(candidate)) return candidate;
  }
  return null;
}

export async function runArchitectureScript(
  name: string,
  cvmfsLocations: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = RUN_MS,
): Promise<ArchitectureScriptResult> {
  // DIRAC's option may carry arguments after the script name ("dirac-platform -ddd").
  const [script, ...args] = name.trim().split(/\s+/);
  if (!script) return { platform: null, problem: 'empty --architectureScript' };
  const found = await findArchitectureScript(script, cvmfsLocations, env);
  if (!found)
    return { platform: null, problem: `${script} not found under ${cvmfsLocations.join(', ') || 'no CVMFS location'} or on PATH` };
  const run = await execa(found, args, { timeout: timeoutMs, reject: false, env, extendEnv: false, stdin: 'ignore' });
  if (run.timedOut) return { platform: null, script: found, problem: `${found} did not finish within ${timeoutMs / 1000} s` };
  if (run.failed)
    return {
      platform: null,
      script: found,
      problem: `${found} failed (${run.exitCode ?? run.signal ?? run.code ?? 'not started'}): ${
        String(run.stderr)
          .split('\n')
          .find((l) => l.trim()) ?? ''
      }`.trim(),
    };
  const last = String(run.stdout)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .pop();
  if (!last) return { platform: null, script: found, problem: `${found} printed nothing` };
  if (!/^[\w.+-]+$/.test(last))
    return { platform: null, script: found, problem: `${found} printed '${last.slice(0, 80)}', not a platform name` };
  return { platform: last, script: found };
}

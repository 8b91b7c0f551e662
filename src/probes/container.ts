import { constants } from 'node:fs';
import { withDeadline } from './deadline.js';
import { access } from './fs-async.js';
import { basename, isAbsolute, join } from 'node:path';
import type { Env } from './batch/types.js';
import type { ContainerInfo } from './types.js';
import type { NodeSource } from './source.js';
import { runBounded } from './run-bounded.js';
import type { Warnings } from './warnings.js';

/** Where OSG and WLCG sites publish Apptainer when the node has none installed. */
export const CVMFS_APPTAINER_DIR = '/cvmfs/oasis.opensciencegrid.org/mis/singularity/current/bin';
const RUNTIME_NAMES = ['apptainer', 'singularity'] as const;

export interface ContainerRuntimeOptions {
  /** Use this binary instead of searching PATH and the CVMFS location. */
  path?: string;
  /** Default 5000 ms for `--version`. */
  timeoutMs?: number;
}

function searchDirs(env: Env): string[] {
  return [...new Set([...(env.PATH ?? '').split(':').filter((dir) => isAbsolute(dir)), CVMFS_APPTAINER_DIR])];
}

/** How long the search waits for a PATH or CVMFS directory: an automount or a stuck NFS server. */
export const RUNTIME_SEARCH_DEADLINE_MS = 3000;

/**
 * The first apptainer (preferred) or singularity found, as a path on the node; null if none.
 * Directories that do not answer within `deadlineMs` (a stuck mount, named in a warning) count
 * as not holding one.
 */
export async function findContainerRuntime(
  source: NodeSource,
  env: Env,
  { deadlineMs = RUNTIME_SEARCH_DEADLINE_MS, warnings }: { deadlineMs?: number; warnings?: Warnings } = {},
): Promise<string | null> {
  if (source.layout === 'flat') {
    const which = await source.captured('which.txt');
    const found = (which ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => isAbsolute(line));
    for (const name of RUNTIME_NAMES) {
      const hit = found.find((file) => basename(file) === name);
      if (hit) return hit;
    }
    return null;
  }
  const dirs = searchDirs(env);
  const candidates = RUNTIME_NAMES.flatMap((name) => dirs.map((dir) => ({ name, dir, file: join(dir, name) })));
  // All at once, then the first hit in preference order: PATH may hold a dozen directories.
  const found: (boolean | undefined)[] = candidates.map(() => undefined);
  const all = Promise.all(
    candidates.map(async ({ name, dir, file }, index) => {
      found[index] =
        source.layout === 'live'
          ? await access(file, constants.X_OK).then(
              () => true,
              () => false,
            )
          : ((await source.listDir(dir))?.includes(name) ?? false);
    }),
  );
  const answered = await withDeadline(
    all.then(() => true),
    deadlineMs,
    false,
  );
  if (!answered) {
    const stuck = [...new Set(candidates.filter((_, index) => found[index] === undefined).map(({ dir }) => dir))];
    warnings?.add(
      'container',
      `${stuck.join(', ')} did not answer within ${deadlineMs} ms (stuck mount?); apptainer was not looked for there`,
    );
  }
  const index = found.indexOf(true);
  return index >= 0 ? (candidates[index] as { file: string }).file : null;
}

/** `apptainer version 1.3.4`, `singularity-ce version 4.1.0`, `singularity version 3.8.7-1.el7`. */
export function parseRuntimeVersion(text: string): { runtime: 'apptainer' | 'singularity'; version: string } | null {
  const match = /^(apptainer|singularity)(?:-ce|-pro)?\s+version\s+(\S+)/im.exec(text.trim());
  if (!match) return null;
  return { runtime: (match[1] as string).toLowerCase() as 'apptainer' | 'singularity', version: match[2] as string };
}

async function runtimeVersion(binary: string, timeoutMs: number, warnings: Warnings): Promise<ReturnType<typeof parseRuntimeVersion>> {
  try {
    const result = await runBounded(binary, ['--version'], { timeoutMs });
    if (result.timedOut) {
      warnings.add('container', `${binary} --version did not answer within ${timeoutMs} ms`);
      return null;
    }
    if (result.startError) {
      warnings.add('container', `${binary} could not be run: ${result.startError}`);
      return null;
    }
    const parsed = parseRuntimeVersion(String(result.stdout));
    if (!parsed) warnings.add('container', `${binary} --version printed ${JSON.stringify(String(result.stdout).slice(0, 60))}`);
    return parsed;
  } catch (error) {
    warnings.add('container', `${binary} could not be run: ${(error as Error).message.split('\n')[0]}`);
    return null;
  }
}

/**
 * Unprivileged user namespaces: the per-user limit must be above zero and Debian's older
 * `unprivileged_userns_clone` switch (when present) must be on.
 */
export async function readUserNamespaces(source: NodeSource, warnings: Warnings): Promise<boolean> {
  const [max, clone] = await Promise.all([
    source.readText('/proc/sys/user/max_user_namespaces'),
    source.readText('/proc/sys/kernel/unprivileged_userns_clone'),
  ]);
  if (max === null) {
    warnings.add('container', '/proc/sys/user/max_user_namespaces is missing; assuming no user namespaces');
    return false;
  }
  if (!/^\d+\s*$/.test(max)) {
    warnings.add('container', `/proc/sys/user/max_user_namespaces is not a number: ${JSON.stringify(max.trim().slice(0, 40))}`);
    return false;
  }
  return Number(max.trim()) > 0 && clone?.trim() !== '0';
}

const CONTAINER_CGROUP_HINT = /\/(docker|kubepods|containerd|libpod|lxc|crio)[-/.]/;

export async function readInsideContainer(source: NodeSource, env: Env): Promise<boolean> {
  if (env.APPTAINER_CONTAINER || env.SINGULARITY_CONTAINER || env.container) return true;
  const [singularityDir, containerEnv, dockerEnv, initCgroup] = await Promise.all([
    source.listDir('/.singularity.d'),
    source.readText('/run/.containerenv'),
    source.readText('/.dockerenv'),
    source.readText('/proc/1/cgroup'),
  ]);
  return singularityDir !== null || containerEnv !== null || dockerEnv !== null || CONTAINER_CGROUP_HINT.test(initCgroup ?? '');
}

export async function readContainer(
  source: NodeSource,
  env: Env,
  options: ContainerRuntimeOptions,
  warnings: Warnings,
): Promise<ContainerInfo> {
  const [binary, userNamespaces, insideContainer] = await Promise.all([
    options.path ? Promise.resolve(options.path) : findContainerRuntime(source, env, { warnings }),
    readUserNamespaces(source, warnings),
    readInsideContainer(source, env),
  ]);
  let runtime: ContainerInfo['runtime'] = null;
  let version: string | null = null;
  if (binary) {
    runtime = basename(binary) === 'singularity' ? 'singularity' : 'apptainer';
    // Running a binary from a captured tree would describe this machine, not the capture.
    if (source.layout === 'live' || options.path) {
      const parsed = await runtimeVersion(binary, options.timeoutMs ?? 5000, warnings);
      if (parsed) ({ runtime, version } = parsed);
    }
  }
  return { runtime, path: binary, version, userNamespaces, insideContainer };
}

import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';

/**
 * The runtime `pilot run` supervises jobs under: glibc malloc settings (and optionally V8 flags)
 * that only take effect when present at process start, applied by replacing the process with
 * itself once (execve: same pid, same stdio, same parent), with the settings in its environment.
 *
 * Why execve and not a child: a batch system signals the pilot's pid (or its process group, or
 * cgroup); with execve there is one process, the one the batch system started, so SIGTERM
 * handling and the exit code are exactly those of a pilot that never re-executed, and no second
 * Node process sits resident waiting for the first.
 *
 * The settings are for the pilot's own process only: the re-executed pilot puts its environment
 * back as it was (restoreRuntimeEnvironment) before anything spawns, so helpers and payloads
 * inherit neither the malloc settings nor the marker. Only Node built-ins here: the launcher may
 * call it before loading a bundle.
 */

/** Set in the re-executed process: the original values of what was changed (JSON), so they can be restored. */
export const RUNTIME_MARKER = 'PILOT_RUNTIME_REEXEC';
/** Set (to anything but empty) by a site or a test to keep the runtime as started. */
export const RUNTIME_OPT_OUT = 'PILOT_NO_REEXEC';

export interface RuntimeSettings {
  /** Variables for the pilot's process (glibc reads MALLOC_* once, at its first allocation). */
  env: Readonly<Record<string, string>>;
  /** V8/Node flags, through NODE_OPTIONS (a standalone executable takes no Node flags on its command line). */
  nodeOptions: readonly string[];
}

/**
 * What `pilot run` runs under (bench/supervision.bench.mjs, docs/reliability.md "Memory"):
 *  - MALLOC_ARENA_MAX=2: glibc gives every thread that allocates (libuv's pool, V8's workers) an
 *    arena of its own, each keeping its freed memory resident; two arenas bound that.
 *  - MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_: fixed values turn off glibc's dynamic
 *    threshold, which after one large buffer is freed serves later large buffers from the heap
 *    (and raises the trim threshold with it), so a burst's memory never goes back to the system.
 *  - --max-semi-space-size=1: V8's young generation stays at 1 MB. Under the steady allocation of
 *    a pilot running jobs V8 grows it to 16 MB and keeps it (the soak's figures:
 *    docs/decisions/measurements.md).
 *
 * Any V8 flag changes V8's flag hash, and a code cache made without the flag is rejected (the
 * main bundle then compiles from source, slowing the first match request), so the build makes
 * pilot-main's `.run` code cache under RUN_NODE_OPTIONS (scripts/build.mjs).
 */
export const RUN_RUNTIME: RuntimeSettings = {
  env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '131072' },
  nodeOptions: ['--max-semi-space-size=1'],
};

/** NODE_OPTIONS as `pilot run` runs under them: what a code cache for `run` must be made with. */
export const RUN_NODE_OPTIONS = RUN_RUNTIME.nodeOptions.join(' ');

export interface ProcessFacts {
  execPath: string;
  argv: readonly string[];
  execArgv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** A standalone executable: argv[1] repeats the executable, and Node flags only come from NODE_OPTIONS. */
  isSea: boolean;
}

export interface ReexecPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** The execve to make, or null when the settings are in place already (or opted out). */
export function planReexec(facts: ProcessFacts, settings: RuntimeSettings = RUN_RUNTIME): ReexecPlan | null {
  const { env } = facts;
  if (env[RUNTIME_MARKER] !== undefined || (env[RUNTIME_OPT_OUT] ?? '') !== '') return null;
  if (Object.keys(settings.env).length === 0 && settings.nodeOptions.length === 0) return null;
  const changed = [...Object.keys(settings.env), ...(settings.nodeOptions.length > 0 ? ['NODE_OPTIONS'] : [])];
  const originals: Record<string, string | null> = {};
  for (const name of changed) originals[name] = env[name] ?? null;

  const next: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) next[name] = value;
  Object.assign(next, settings.env);
  if (settings.nodeOptions.length > 0) {
    // Ours first: a site's own NODE_OPTIONS, later on the line, wins where both set a flag.
    next.NODE_OPTIONS = [...settings.nodeOptions, env.NODE_OPTIONS ?? ''].join(' ').trim();
  }
  next[RUNTIME_MARKER] = JSON.stringify(originals);

  const args = facts.isSea ? [facts.execPath, ...facts.argv.slice(2)] : [facts.execPath, ...facts.execArgv, ...facts.argv.slice(1)];
  return { file: facts.execPath, args, env: next };
}

/**
 * In the re-executed process: the variables the re-exec changed go back to what they were, and the
 * marker goes, so nothing this process spawns inherits them. Returns whether this process was
 * re-executed. A marker that does not parse is removed and reported as not re-executed.
 */
export function restoreRuntimeEnvironment(env: NodeJS.ProcessEnv): boolean {
  const marker = env[RUNTIME_MARKER];
  if (marker === undefined) return false;
  delete env[RUNTIME_MARKER];
  let originals: unknown;
  try {
    originals = JSON.parse(marker);
  } catch {
    return false;
  }
  if (typeof originals !== 'object' || originals === null || Array.isArray(originals)) return false;
  for (const [name, value] of Object.entries(originals as Record<string, unknown>)) {
    if (typeof value === 'string') env[name] = value;
    else delete env[name];
  }
  return true;
}

type Execve = (file: string, args: string[], env: Record<string, string>) => never;

/** e_machine of an ELF file (null when unreadable or not ELF). */
export function elfMachine(file: string): number | null {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const header = Buffer.alloc(20);
    if (readSync(fd, header, 0, 20, 0) < 20 || header.readUInt32BE(0) !== 0x7f454c46) return null;
    return header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Whether the kernel can run `file` itself. Node cannot survive a failed process.execve (it has
 * run its exit hooks and aborts), so this is checked first: the file must be executable, and an
 * ELF for the machine the node's own programs are built for (`reference`, /bin/sh). Under a
 * user-mode emulator (an arm64 pilot run by qemu-aarch64 on x86_64, as the build's tests do) the
 * pilot sees itself as arm64 while the kernel can only run x86_64, and execve fails with ENOEXEC.
 * A reference that cannot be read says nothing: the executable check alone decides.
 */
export function canExecDirectly(file: string, reference = '/bin/sh'): boolean {
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return false;
  }
  const machine = elfMachine(file);
  const native = elfMachine(reference);
  return native === null || machine === native;
}

/**
 * Re-executes this process under `settings` when they are not in place yet; returns only when it
 * does not (already applied, opted out, no process.execve in this Node, an executable the kernel
 * cannot run itself: the pilot then runs on as it is, and `onSkip` says why when it is worth
 * saying). An execve that fails anyway ends the process (Node aborts), hence the checks first.
 */
export function applyRuntime(facts: ProcessFacts, settings: RuntimeSettings = RUN_RUNTIME, onSkip?: (reason: string) => void): void {
  const plan = planReexec(facts, settings);
  if (!plan) return;
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve !== 'function') {
    onSkip?.('this Node has no process.execve');
    return;
  }
  if (!canExecDirectly(plan.file)) {
    onSkip?.(`${plan.file} cannot be executed directly by this kernel (not executable, or built for another machine)`);
    return;
  }
  try {
    execve.call(process, plan.file, plan.args, plan.env);
  } catch (error) {
    onSkip?.(`execve ${plan.file} failed: ${(error as Error).message}`);
  }
}

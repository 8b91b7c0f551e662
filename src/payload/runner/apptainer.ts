import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readSmallFile } from '../safe-open.js';
import path from 'node:path';
import { execa } from 'execa';
import { ExitCode } from '../../core/exit-codes.js';
import { PilotError } from '../../core/errors.js';
import { resolveExecutable } from './direct.js';
import { secretBindMasks } from './secret-binds.js';
import type { ApptainerRunnerOptions, LaunchPlan, PayloadOptions } from './types.js';

/** Where the job directory appears inside the container: it is the container's $HOME and cwd. */
export const CONTAINER_JOB_DIR = '/home';
export const WRAPPER_NAME = '.dirac-payload-wrapper.sh';
export const RC_FILE_NAME = '.dirac-payload.rc';

/*
 * Fixed text: the payload's argv reaches it as "$@", never spliced into the script, so nothing a job
 * says can change what the shell parses. The rc file goes through a rename so the pilot never reads
 * a half-written number.
 */
const WRAPPER_SCRIPT = `#!/bin/sh
# Written by the DIRAC pilot. Runs the payload given as arguments and records its exit code, so the
# pilot can tell the payload's own failure from the container runtime's.
"$@"
rc=$?
printf '%s\\n' "$rc" > ${CONTAINER_JOB_DIR}/${RC_FILE_NAME}.tmp && mv ${CONTAINER_JOB_DIR}/${RC_FILE_NAME}.tmp ${CONTAINER_JOB_DIR}/${RC_FILE_NAME}
exit "$rc"
`;

/** Variables the container runtime sets itself, or that would configure it from inside: never forwarded. */
const NOT_FORWARDED = /^(HOME|PATH|APPTAINER.*|SINGULARITY.*)$/;

/** `src[:dst[:ro|rw]]` with absolute paths; a comma would be read by Apptainer as a list separator. */
export function checkBindSpec(spec: string): string | null {
  if (spec.includes(',')) return `bind "${spec}" contains a comma (Apptainer reads it as two binds)`;
  const parts = spec.split(':');
  if (parts.length > 3) return `bind "${spec}" has more than src:dst:options`;
  const [src, dst, opts] = parts;
  if (!src || !path.isAbsolute(src)) return `bind "${spec}": source must be an absolute path`;
  if (dst !== undefined && !path.isAbsolute(dst)) return `bind "${spec}": destination must be an absolute path`;
  if (opts !== undefined && opts !== 'ro' && opts !== 'rw') return `bind "${spec}": options must be ro or rw`;
  return null;
}

/** The job's executable as the container sees it: job-directory files move under CONTAINER_JOB_DIR. */
export function containerExecutable(executable: string, jobDir: string): string {
  const resolved = resolveExecutable(executable, jobDir);
  if (!path.isAbsolute(resolved)) return resolved;
  const relative = path.relative(jobDir, resolved);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return resolved;
  return path.posix.join(CONTAINER_JOB_DIR, relative.split(path.sep).join('/'));
}

/**
 * `exec` options shared by the payload run and the diagnostic re-run (dirac-pilot.md §6):
 *  --contain            no host /tmp, $HOME or cwd leaks in; only what we bind
 *  --ipc                private SysV IPC, so a payload's shared memory dies with it
 *  --pid                its own /proc: neither the pilot nor any other process of the pilot's uid
 *                       is visible, so /proc/<pid>/root of one cannot lead back to the host's files
 *                       (the pilot's credentials); Apptainer runs a small init as pid 1
 *  --workdir <base>     the container's /tmp and /var/tmp live in the job directory (cleaned with it)
 *  --home <job>:/home   the job directory is the payload's home: nothing is written in the user's $HOME
 *  --pwd /home          and its working directory
 *  --cleanenv           only APPTAINERENV_* reach the payload (the whitelist the caller applied)
 *  --userns / --nv / --bind /cvmfs / site binds / ContainerOptions as configured
 */
export function apptainerExecOptions(runner: ApptainerRunnerOptions, jobDir: string): string[] {
  const binds = [...runner.binds];
  const hasCvmfs = runner.hostHasCvmfs ?? existsSync('/cvmfs');
  if (hasCvmfs && !binds.some((b) => b.split(':')[0] === '/cvmfs')) binds.unshift('/cvmfs');
  return [
    '--contain',
    '--ipc',
    '--pid',
    '--workdir',
    runner.workdirBase,
    '--home',
    `${jobDir}:${CONTAINER_JOB_DIR}`,
    '--pwd',
    CONTAINER_JOB_DIR,
    '--cleanenv',
    ...(runner.userns ? ['--userns'] : []),
    ...(runner.nv ? ['--nv'] : []),
    ...binds.flatMap((bind) => ['--bind', bind]),
    ...runner.extraOptions,
    ...(runner.secretMasks ?? []).flatMap((mask) => ['--bind', mask]),
  ];
}

/** The full argv after the binary, for the payload run. Pure: golden-tested. */
export function apptainerArgs(runner: ApptainerRunnerOptions, jobDir: string, argv: readonly string[]): string[] {
  const [executable, ...args] = argv;
  if (executable === undefined) throw new Error('payload argv is empty');
  return [
    'exec',
    ...apptainerExecOptions(runner, jobDir),
    runner.image,
    '/bin/sh',
    `${CONTAINER_JOB_DIR}/${WRAPPER_NAME}`,
    containerExecutable(executable, jobDir),
    ...args,
  ];
}

/**
 * Environment of the apptainer process itself: its cache and build tmp inside the job directory
 * (glideinWMS#403: a shared $HOME filled by Apptainer caches), HOME = the job directory, the host
 * PATH so it finds its helpers, and the payload's variables as APPTAINERENV_*. Values travel in the
 * environment, never on the command line, which any user on the node can read in /proc/<pid>/cmdline.
 */
export function apptainerEnvironment(
  runner: ApptainerRunnerOptions,
  jobDir: string,
  payloadEnv: Record<string, string> | null,
  marker: { name: string; value: string },
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: jobDir,
    APPTAINER_CACHEDIR: path.join(runner.workdirBase, 'cache'),
    APPTAINER_TMPDIR: path.join(runner.workdirBase, 'build-tmp'),
    [marker.name]: marker.value,
    [`APPTAINERENV_${marker.name}`]: marker.value,
  };
  if (payloadEnv) {
    for (const [key, value] of Object.entries(payloadEnv)) {
      if (!NOT_FORWARDED.test(key)) env[`APPTAINERENV_${key}`] = value;
    }
    env.APPTAINERENV_TMP = '/tmp';
    env.APPTAINERENV_TMPDIR = '/tmp';
  }
  return env;
}

/** Writes the wrapper and the work area, and returns how to launch. Throws PilotError on bad configuration. */
export function planApptainer(
  options: PayloadOptions,
  runner: ApptainerRunnerOptions,
  marker: { name: string; value: string },
): LaunchPlan {
  for (const bind of runner.binds) {
    const problem = checkBindSpec(bind);
    if (problem) throw new PilotError(ExitCode.CONFIG, `container configuration: ${problem}`);
  }
  const jobDir = path.resolve(options.cwd);
  for (const dir of ['', 'cache', 'build-tmp', 'empty']) mkdirSync(path.join(runner.workdirBase, dir), { recursive: true, mode: 0o700 });
  runner = shieldSecrets(runner, options.secretFiles, options.logger);
  // A code left by an earlier run in this directory would pass for this payload's.
  rmSync(path.join(jobDir, RC_FILE_NAME), { force: true, recursive: true });
  // A name the input sandbox may have taken (as a link to a file of the pilot's): removed, then created anew.
  const wrapper = path.join(jobDir, WRAPPER_NAME);
  rmSync(wrapper, { force: true, recursive: true });
  writeFileSync(wrapper, WRAPPER_SCRIPT, { mode: 0o700, flag: 'wx' });
  chmodSync(wrapper, 0o700);
  return {
    file: runner.binary,
    args: apptainerArgs(runner, jobDir, options.argv),
    env: apptainerEnvironment(runner, jobDir, options.env, marker),
    cwd: jobDir,
    rcFile: path.join(jobDir, RC_FILE_NAME),
  };
}

/**
 * Binds that would show the pilot's credentials inside the container: a bind of a credential file
 * itself is dropped; a bind of a directory above one gets an empty read-only directory bound over
 * the credential's directory, after it. Logged once per bind.
 */
function shieldSecrets(
  runner: ApptainerRunnerOptions,
  secret: { files: string[]; disabled?: string },
  logger: PayloadOptions['logger'],
): ApptainerRunnerOptions {
  if (secret.files.length === 0 || secret.disabled) return runner;
  const shield = secretBindMasks([...runner.binds, ...bindsIn(runner.extraOptions)], secret.files, path.join(runner.workdirBase, 'empty'));
  for (const bind of shield.dropped) logger.warn({ bind }, 'container bind dropped: it is one of the pilot’s credential files');
  if (shield.dropped.length === 0 && shield.masks.length === 0) return runner;
  return { ...runner, binds: runner.binds.filter((b) => !shield.dropped.includes(b)), secretMasks: shield.masks };
}

/** `--bind x`, `-B x`, `--bind=x` in ContainerOptions, split on commas as Apptainer does. */
function bindsIn(options: readonly string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if ((option === '--bind' || option === '-B') && options[i + 1] !== undefined) found.push(...options[++i]!.split(','));
    else if (option.startsWith('--bind=')) found.push(...option.slice('--bind='.length).split(','));
  }
  return found;
}

/** The payload's exit code from the wrapper's rc file; null when there is none (the payload never ran or was killed). */
export function readRcFile(rcFile: string): number | null {
  // The container's payload can put anything under that name (a FIFO would block a plain read forever).
  const text = readSmallFile(path.dirname(rcFile), path.basename(rcFile), 16)?.trim() ?? '';
  return /^\d{1,3}$/.test(text) ? Number(text) : null;
}

const DIAGNOSTIC_TIMEOUT_MS = 120_000;
const DIAGNOSTIC_MAX_CHARS = 8192;

/**
 * DIRAC's diagnostic re-run: the same container options, `--debug`, and a trivial command. It
 * runs without the payload's environment, so nothing secret ends up in the debug output we keep.
 */
export async function runContainerDiagnostic(
  runner: ApptainerRunnerOptions,
  jobDir: string,
  marker: { name: string; value: string },
): Promise<string> {
  const result = await execa(
    runner.binary,
    ['--debug', 'exec', ...apptainerExecOptions(runner, jobDir), runner.image, 'echo', 'All okay'],
    {
      env: apptainerEnvironment(runner, jobDir, null, marker),
      extendEnv: false,
      cwd: jobDir,
      timeout: DIAGNOSTIC_TIMEOUT_MS,
      reject: false,
      all: true,
      stdin: 'ignore',
      maxBuffer: 4 * 1024 * 1024,
    },
  );
  const output = String(result.all ?? '');
  const verdict =
    result.exitCode === 0 && output.includes('All okay')
      ? 'diagnostic container ran fine'
      : `diagnostic container failed (exit ${result.exitCode ?? result.signal ?? 'unknown'})`;
  const tail = output.length > DIAGNOSTIC_MAX_CHARS ? output.slice(-DIAGNOSTIC_MAX_CHARS) : output;
  return `${verdict}\n${tail}`;
}

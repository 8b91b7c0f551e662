import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../core/logger.js';
import { ExitCode } from '../core/exit-codes.js';
import { findContainerRuntime } from '../probes/container.js';
import { withDeadline } from '../probes/deadline.js';
import { probeNode, type ProbeOptions } from '../probes/index.js';
import { openNodeSource } from '../probes/source.js';
import type { ProbeResult } from '../probes/types.js';
import { Warnings } from '../probes/warnings.js';
import { checkClock } from './clock.js';
import { checkContainer } from './container.js';
import { checkCvmfs } from './cvmfs.js';
import { checkTmpDirs, checkWorkDir } from './disk-space.js';
import { checkGpus } from './gpus.js';
import { checkTimeLeft } from './time-left.js';
import { result, type CheckReport, type CheckResult } from './types.js';
import { checkUserNamespaces } from './user-namespaces.js';

export type { CheckReport, CheckResult, CheckStatus } from './types.js';
export { formatCheckReport } from './format.js';

export interface NodeCheckOptions {
  workDir: string;
  /** Minimum free MB in workDir (-D/--disk). */
  minDiskMB: number;
  /** Default /tmp; $TMPDIR (from env) is checked too when set. */
  tmpDir?: string;
  /** Repositories that must be mounted (`/cvmfs/lhcb.cern.ch` or `lhcb.cern.ch`); none: skipped. */
  cvmfsRepositories?: string[];
  container?: {
    /** The runtime to try; default the apptainer/singularity the probe finds. Tests pass a stand-in. */
    runtime?: string | null;
    image?: string;
    timeoutMs?: number;
    /** Default true: a node without a working container runtime fails the check. */
    required?: boolean;
  };
  /** GPUs the queue configuration promises; default the batch allocation. */
  expectedGpus?: number | null;
  /** Reads the server's Date header; omitted: the clock check is skipped. */
  serverTime?: () => Promise<Date | null>;
  maxClockSkewSeconds?: number;
  /** CPU work left in the slot; omitted: the time-left check is skipped. */
  timeLeft?: number | null;
  /** Why CPU work left is what it is when nothing told the pilot its time (a warning, not a failure). */
  timeLeftNote?: string;
  minTimeLeft?: number;
  /** A probe already taken; otherwise one is taken with probeOptions. */
  probe?: ProbeResult;
  probeOptions?: ProbeOptions;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

async function findUnshare(env: NodeJS.ProcessEnv): Promise<string | null> {
  for (const dir of [...(env.PATH ?? '').split(':').filter((entry) => path.isAbsolute(entry)), '/usr/bin', '/bin']) {
    const candidate = path.join(dir, 'unshare');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}

/** No check may hold `pilot check` longer than this (the container trial has its own 60 s limit). */
const CHECK_DEADLINE_MS = 120_000;

/**
 * A check that throws is a bug in the check, not a verdict on the node: say so and move on.
 * One that never answers (a filesystem call on a wedged mount) fails its class at the deadline.
 */
export async function guarded(
  name: string,
  run: () => Promise<CheckResult> | CheckResult,
  failCode: ExitCode = ExitCode.NODE_CHECK,
  deadlineMs = CHECK_DEADLINE_MS,
): Promise<CheckResult> {
  try {
    const late = result(name, 'fail', `no answer within ${Math.round(deadlineMs / 1000)} s`, failCode);
    return await withDeadline(Promise.resolve().then(run), deadlineMs, late);
  } catch (error) {
    return result(name, 'fail', `the check itself failed: ${(error as Error).message.split('\n')[0]}`, ExitCode.NODE_CHECK);
  }
}

export function summarise(checks: CheckResult[]): CheckReport {
  const failed = checks.find((check) => check.status === 'fail');
  const verdict = failed ? 'fail' : checks.some((check) => check.status === 'warn') ? 'warn' : 'pass';
  return { verdict, exitCode: failed ? failed.exitCode || ExitCode.NODE_CHECK : ExitCode.OK, checks };
}

/**
 * `pilot check`: is this node fit to take jobs? Every check runs (in parallel), each gives a
 * status and one sentence; the report's exit code is the class of the first failure.
 */
export async function runNodeChecks(options: NodeCheckOptions): Promise<CheckReport> {
  const env = options.env ?? process.env;
  const probe = options.probe ?? (await probeNode({ ...options.probeOptions, env, workDir: options.workDir }));
  const searchWarnings = new Warnings();
  const runtime =
    options.container?.runtime !== undefined
      ? options.container.runtime
      : await findContainerRuntime(await openNodeSource('/'), env, { warnings: searchWarnings });
  const cacheDir = runtime ? await mkdtemp(path.join(options.workDir, '.pilot-check-cache-')).catch(() => undefined) : undefined;
  try {
    const checks = await Promise.all([
      guarded('workdir', () => checkWorkDir(options.workDir, options.minDiskMB), ExitCode.WORKDIR),
      guarded('tmp', () => checkTmpDirs([options.tmpDir ?? '/tmp', env.TMPDIR ?? '']), ExitCode.TMP),
      guarded('cvmfs', () => checkCvmfs(options.cvmfsRepositories ?? []), ExitCode.CVMFS),
      guarded(
        'container',
        () =>
          checkContainer({
            runtime,
            image: options.container?.image,
            timeoutMs: options.container?.timeoutMs,
            required: options.container?.required,
            userNamespaces: probe.container.userNamespaces,
            cacheDir,
            searchWarnings: searchWarnings.list.map((warning) => warning.message),
          }),
        ExitCode.CONTAINER,
      ),
      guarded('user-namespaces', async () =>
        checkUserNamespaces({ allowedBySysctl: probe.container.userNamespaces, unshare: await findUnshare(env) }),
      ),
      guarded('gpus', () => checkGpus(probe, options.expectedGpus), ExitCode.GPU),
      guarded('clock', () => checkClock(options.serverTime, options.maxClockSkewSeconds), ExitCode.CLOCK),
      guarded('time-left', () => checkTimeLeft(options.timeLeft, options.minTimeLeft, options.timeLeftNote), ExitCode.TIME_LEFT),
    ]);
    const report = summarise(checks);
    for (const check of checks) {
      if (check.status === 'fail') options.logger?.error({ check: check.name, exitCode: check.exitCode }, check.detail);
      else if (check.status === 'warn') options.logger?.warn({ check: check.name }, check.detail);
    }
    return report;
  } finally {
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

import { randomBytes } from 'node:crypto';
import { closeSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { ProcStat } from '../process/proc-parsers.js';
import { findPayloadTree, liveMembers, type PayloadIdentity } from '../process/process-tree.js';
import { processKey, readCommandLine, readProcStat, readProcessTableShared, readUptimeTicks } from '../process/process-table.js';
import { terminateTree } from '../process/kill-tree.js';
import { ensureSubreaper, reapOrphanZombies } from '../process/subreaper.js';
import { KILL_MINOR_STATUS, type KillReason } from '../watchdog/kill-reasons.js';
import { resolveLimits } from '../watchdog/limits.js';
import { Watchdog } from '../watchdog/watchdog.js';
import { tailLinesOfFd } from '../watchdog/files.js';
import { openInDir, UnsafeJobFile } from '../safe-open.js';
import { matchCommandLines, type WindDownRule } from '../watchdog/wind-down.js';
import { planApptainer, readRcFile, runContainerDiagnostic } from './apptainer.js';
import { classifyContainerFailure } from './container-failures.js';
import { joinCgroup, pinToCpus } from './affinity.js';
import { planDirect } from './direct.js';
import { hideSecretsFromPayload, payloadIsolationGap } from './hide-secrets.js';
import { makePilotNonDumpable } from './non-dumpable.js';
import type { SecretFiles } from './secret-files.js';
import {
  PAYLOAD_MARKER_ENV,
  type ContainerFailure,
  type LaunchPlan,
  type PayloadHandle,
  type PayloadOptions,
  type PayloadResult,
} from './types.js';

export * from './types.js';
export { KILL_MINOR_STATUS, KILL_REASONS } from '../watchdog/kill-reasons.js';
export { DEFAULT_WATCHDOG_LIMITS } from '../watchdog/limits.js';

/** DIRAC's JobMinorStatus strings for a payload that ended on its own. */
export const MINOR_STATUS = {
  success: 'Application Finished Successfully',
  errors: 'Application Finished With Errors',
  notFound: 'Application not found',
} as const;

/**
 * Payloads running now: children's rusage, and orphans re-parented to the pilot, can only be
 * attributed to a payload when it runs alone.
 */
const running = new Set<{ overlapped: boolean; rootPid: number }>();

/**
 * Starts one payload under supervision and returns at once. The payload runs detached (its own
 * session and process group) with stdout and stderr going straight to files; the watchdog samples
 * it; `done` resolves only after the payload and everything it spawned are gone.
 */
export function startPayload(options: PayloadOptions): PayloadHandle {
  const limits = resolveLimits(options.limits);
  const logger = options.logger.child({ jobId: options.jobId });
  const subreaper = ensureSubreaper(options.native, logger);
  makePilotNonDumpable(options.native, logger);

  const marker = { name: PAYLOAD_MARKER_ENV, value: `${options.jobId}-${randomBytes(12).toString('hex')}` };
  // Innermost: the namespaces are entered after the cgroup join and the pinning, which they inherit.
  const base =
    options.runner.kind === 'direct'
      ? hideSecretsFromPayload(planDirect(options, marker), options.secretFiles, logger, options.privateAreas)
      : planApptainer(options, options.runner, marker);
  const plan: LaunchPlan = pinToCpus(joinCgroup(base, options.cgroupProcsFile), options.cpuSet, logger);

  // Opened inside the job directory without following links or blocking on a FIFO (safe-open.ts),
  // private to the user (the payload's output may echo its credentials), for reading too: the
  // heartbeat's stdout tail and the container diagnosis read back through these descriptors,
  // never by name. Throws UnsafeJobFile when a name is a link, a directory, a FIFO or outside.
  const stdoutName = insideJobDir(options.cwd, options.stdoutFile);
  const stderrName = insideJobDir(options.cwd, options.stderrFile);
  const outFd = openInDir(options.cwd, stdoutName, 'append');
  let errFd = outFd;
  if (stderrName !== stdoutName) {
    try {
      errFd = openInDir(options.cwd, stderrName, 'append');
    } catch (error) {
      closeSync(outFd);
      throw error;
    }
  }

  const slot = { overlapped: running.size > 0, rootPid: -1 };
  for (const other of running) other.overlapped = true;
  running.add(slot);
  const rusageBefore = safeRusage(options.native);
  // One second of slack: start times and uptime are both in 10 ms ticks, read at different moments.
  const notBeforeTicks = readUptimeTicks() - 100;

  let child: ReturnType<typeof launch>;
  try {
    child = launch(plan, outFd, errFd, limits);
  } catch (error) {
    running.delete(slot);
    closeSync(outFd);
    if (errFd !== outFd) closeSync(errFd);
    throw error;
  }
  const pid = child.pid ?? -1;
  slot.rootPid = pid;
  logger.info({ pid, runner: options.runner.kind, executable: plan.file }, 'payload started');

  const identity: PayloadIdentity = { rootPid: pid, sessionId: pid, notBeforeTicks, marker };
  const known = new Set<string>();
  /** The payload's processes; `shared`: from the table other watchdogs read this tick (sampling only). */
  const scan = (shared = false): ProcStat[] => {
    if (pid <= 0) return [];
    const options = { known, claimOrphans: orphanClaim() };
    const tree = shared ? findPayloadTree(identity, options, readProcessTableShared()) : findPayloadTree(identity, options);
    for (const stat of tree) known.add(processKey(stat));
    reapOrphanZombies(tree, identity.rootExitedAtTicks === undefined ? pid : -1);
    return tree;
  };

  const orphanClaim = () => {
    if (!subreaper.active || running.size !== 1) return undefined;
    return { selfSession: selfSessionId(), excludePids: new Set([...running].map((r) => r.rootPid)) };
  };

  let killReason: KillReason | null = null;
  // Set from the watchdog's callback: typed by hand so TypeScript does not narrow it to null here.
  let terminating = null as Promise<unknown> | null;
  // A kill that arrives after the payload ended on its own must not rewrite how it ended.
  let rootExited = false;

  const kill = (reason: KillReason, detail?: string): void => {
    if (killReason !== null || rootExited) return;
    killReason = reason;
    logger.warn({ reason, detail, minorStatus: KILL_MINOR_STATUS[reason] }, 'killing payload');
    terminating = terminateTree({ scan, graceMs: limits.killGraceMs }).then((report) => {
      if (report.survivors.length > 0) logger.error({ survivors: report.survivors }, 'payload processes survived SIGKILL');
    });
  };

  let windDownSent = false;
  const windDown = (reason: string): boolean => {
    if (!options.windDown || windDownSent || killReason !== null || rootExited) return false;
    windDownSent = true;
    const { rule } = options.windDown;
    const signalled = signalMatching(scan(), rule);
    logger.info(
      { reason, signal: rule.signal, pids: signalled.pids, timedOut: signalled.timedOut || undefined },
      'wind-down signal sent to the payload',
    );
    return true;
  };

  const watchdog = new Watchdog({
    scanTree: () => scan(true),
    jobDir: options.cwd,
    stdoutFd: outFd,
    limits,
    logger,
    onViolation: (violation) => kill(violation.reason, violation.detail),
    onSample: (sample) => {
      const at = options.windDown?.atCpuSeconds;
      if (at != null && sample.cpuSeconds >= at)
        windDown(`CPU ${Math.round(sample.cpuSeconds)} s reached the wind-down point ${Math.round(at)} s`);
    },
  });
  if (pid > 0) watchdog.start();

  const done = (async (): Promise<PayloadResult> => {
    try {
      const result = await child;
      rootExited = true;
      identity.rootExitedAtTicks = readUptimeTicks();
      watchdog.stop();
      if (terminating) await terminating;
      await sweepLeftovers(scan, limits.killGraceMs, logger);

      const spawnError = (result as { code?: string }).code;
      let exitCode = typeof result.exitCode === 'number' ? result.exitCode : null;
      const signal = result.signal ?? null;
      let minorStatus: string;
      let containerFailure: ContainerFailure | undefined;

      if (plan.rcFile && options.runner.kind === 'apptainer') {
        const rc = readRcFile(plan.rcFile);
        if (rc !== null) exitCode = rc;
        else if (killReason === null && pid > 0) {
          containerFailure = await diagnoseContainer(options, errFd, exitCode, marker, logger);
          await sweepLeftovers(scan, limits.killGraceMs, logger);
        }
      }

      if (killReason !== null) minorStatus = KILL_MINOR_STATUS[killReason];
      else if (containerFailure) minorStatus = containerFailure.minorStatus;
      else if (pid <= 0 || spawnError === 'ENOENT' || spawnError === 'EACCES') minorStatus = MINOR_STATUS.notFound;
      else minorStatus = exitCode === 0 ? MINOR_STATUS.success : MINOR_STATUS.errors;

      const rusageAfter = safeRusage(options.native);
      if (!slot.overlapped && rusageBefore && rusageAfter) watchdog.raiseCpu(rusageAfter - rusageBefore);
      const peak = watchdog.peakMemory();
      const payloadResult: PayloadResult = {
        exitCode,
        signal,
        killReason,
        minorStatus,
        usage: {
          cpuSeconds: round(watchdog.cpuSeconds()),
          wallSeconds: round(watchdog.wallSeconds()),
          maxRssMB: round(peak.maxRssMB),
          maxPssMB: round(peak.maxPssMB),
        },
        ...(containerFailure ? { containerFailure } : {}),
        resources: watchdog.resources,
      };
      logger.info({ exitCode, signal, killReason, minorStatus, usage: payloadResult.usage }, 'payload finished');
      return payloadResult;
    } finally {
      rootExited = true;
      watchdog.stop();
      running.delete(slot);
      closeSync(outFd);
      if (errFd !== outFd) closeSync(errFd);
    }
  })();

  return { pid, sample: () => watchdog.heartbeat(), kill, windDown, done };
}

function launch(plan: LaunchPlan, outFd: number, errFd: number, limits: ReturnType<typeof resolveLimits>) {
  return execa(plan.file, plan.args, {
    cwd: plan.cwd,
    env: plan.env,
    extendEnv: false,
    detached: true,
    stdin: 'ignore',
    // File descriptors handed straight to spawn(): the kernel writes the payload's output, not JS.
    // execa's typings only admit literal fds 3-9; at run time a lone integer passes through unchanged.
    stdout: outFd as unknown as 3,
    stderr: errFd as unknown as 4,
    reject: false,
    buffer: false,
    cleanup: false,
    // A backstop only: the watchdog enforces the wall clock on the whole tree well before this.
    timeout: limits.wallClockSeconds !== null ? (limits.wallClockSeconds + 60) * 1000 + 2 * limits.killGraceMs : 0,
    killSignal: 'SIGKILL',
  });
}

/** Whatever the payload left running after its root exited (daemons): TERM, grace, KILL. */
async function sweepLeftovers(scan: () => ProcStat[], graceMs: number, logger: PayloadOptions['logger']): Promise<void> {
  const left = liveMembers(scan());
  if (left.length === 0) return;
  logger.info({ processes: left.map((s) => `${s.pid}:${s.comm}`) }, 'payload left processes behind; terminating them');
  const report = await terminateTree({ scan, graceMs });
  if (report.survivors.length > 0) logger.error({ survivors: report.survivors }, 'payload processes survived SIGKILL');
}

async function diagnoseContainer(
  options: PayloadOptions,
  stderrFd: number,
  exitCode: number | null,
  marker: { name: string; value: string },
  logger: PayloadOptions['logger'],
): Promise<ContainerFailure> {
  if (options.runner.kind !== 'apptainer') throw new Error('diagnoseContainer needs the apptainer runner');
  const stderr = tailLinesOfFd(stderrFd, 200, 64 * 1024);
  const classified = classifyContainerFailure(stderr, exitCode);
  let diagnostics: string | undefined;
  try {
    diagnostics = await runContainerDiagnostic(options.runner, path.resolve(options.cwd), marker);
  } catch (error) {
    diagnostics = `diagnostic re-run could not start: ${String(error).split('\n')[0]}`;
  }
  logger.warn({ pattern: classified.pattern, minorStatus: classified.minorStatus }, 'container failed before the payload ran');
  return { ...classified, diagnostics };
}

/** `file` (relative to the job directory, or absolute inside it) as a path relative to it; refused outside. */
function insideJobDir(jobDir: string, file: string): string {
  const relative = path.isAbsolute(file) ? path.relative(path.resolve(jobDir), file) : path.normalize(file);
  if (relative === '' || relative === '.' || relative.split(path.sep).includes('..') || path.isAbsolute(relative)) {
    throw new UnsafeJobFile('outside', file, `${file}: not a file inside the job directory`);
  }
  return relative;
}

/**
 * Why another payload of this pilot could read a file private to one job (a PayloadToken), or null
 * when none can: a container sees only its own job directory and token; the direct runner needs
 * the user namespaces (hide-secrets.ts).
 */
export function payloadIsolationGapFor(runner: { kind: 'direct' | 'apptainer'; secretFiles: SecretFiles }): string | null {
  return runner.kind === 'apptainer' ? null : payloadIsolationGap(runner.secretFiles);
}

let cachedSelfSession: number | undefined;
function selfSessionId(): number {
  cachedSelfSession ??= readProcStat(process.pid)?.session ?? -1;
  return cachedSelfSession;
}

function safeRusage(native: PayloadOptions['native']): number | null {
  try {
    const usage = native?.childrenRusage();
    return usage ? (usage.userMicros + usage.systemMicros) / 1e6 : null;
  } catch {
    return null;
  }
}

const round = (value: number) => Math.round(value * 100) / 100;

/** Sends the rule's signal to the processes of `tree` whose command line its regex matches. */
function signalMatching(tree: readonly ProcStat[], rule: WindDownRule): { pids: number[]; timedOut: boolean } {
  const lines = new Map<number, string>();
  for (const stat of tree) {
    if (stat.state === 'Z') continue;
    const line = readCommandLine(stat.pid);
    if (line !== null) lines.set(stat.pid, line);
  }
  const matched = matchCommandLines(rule.regex, lines);
  const pids = matched.pids.filter((pid) => {
    try {
      process.kill(pid, rule.signal);
      return true;
    } catch {
      return false; // gone meanwhile
    }
  });
  return { pids, timedOut: matched.timedOut };
}

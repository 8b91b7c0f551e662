import type { HeartbeatData } from '../../backend/types.js';
import type { NativeAddon } from '../../native/types.js';
import type { Logger } from '../../core/logger.js';
import type { KillReason } from '../watchdog/kill-reasons.js';
import type { WindDownRule } from '../watchdog/wind-down.js';
import type { WatchdogLimits } from '../watchdog/limits.js';
import type { ResourceReport } from '../watchdog/resource-report.js';
import type { SecretFiles } from './secret-files.js';

export type { KillReason, WatchdogLimits };

export interface ApptainerRunnerOptions {
  kind: 'apptainer';
  /** The apptainer (or singularity) executable, already located by the caller. */
  binary: string;
  /** SIF file, sandbox directory, or /cvmfs unpacked image. */
  image: string;
  /** Site and VO binds, Apptainer syntax `src[:dst[:ro|rw]]`. */
  binds: string[];
  /** Pass `--userns`: only when the node allows unprivileged user namespaces. */
  userns: boolean;
  /** Pass `--nv`: the job has GPUs. */
  nv: boolean;
  /** ContainerOptions from the site/VO configuration, appended as given. */
  extraOptions: string[];
  /** Apptainer's --workdir (its /tmp and /var/tmp) and our cache: inside the job directory. */
  workdirBase: string;
  /** `empty:dst:ro` binds hiding the pilot's credential directories (set by planApptainer, after the site binds). */
  secretMasks?: string[];
  /** Bind /cvmfs when it exists; tests set it to keep golden command lines host-independent. */
  hostHasCvmfs?: boolean;
}

export type RunnerOptions = { kind: 'direct' } | ApptainerRunnerOptions;

export interface PayloadOptions {
  jobId: number;
  /** Executable and arguments; a relative executable is resolved against `cwd`. */
  argv: string[];
  /** The job directory. */
  cwd: string;
  /** The payload's final environment (whitelist already applied by the caller). */
  env: Record<string, string>;
  stdoutFile: string;
  stderrFile: string;
  runner: RunnerOptions;
  limits: WatchdogLimits;
  logger: Logger;
  native?: NativeAddon | null;
  /** CPU ids the payload is pinned to (its slot's share); absent or empty: not pinned. */
  cpuSet?: number[];
  /** cgroup.procs of the job's own cgroup, joined before the payload starts (src/payload/cgroup.ts). */
  cgroupProcsFile?: string;
  /**
   * The pilot's credential files to hide from the payload (secret-files.ts): the runner choice's,
   * passed by the job wrapper. `disabled` names why hiding is off.
   */
  secretFiles: SecretFiles;
  /**
   * Wind-down (wind-down.ts): the signal the job asked for, sent to its matching processes when
   * its CPU reaches `atCpuSeconds`, or when the pilot calls `windDown()`.
   */
  windDown?: { rule: WindDownRule; atCpuSeconds: number | null };
  /**
   * Directories shared by every job of the pilot (the jobs directory, the token directory): with
   * the direct runner and namespaces, the payload sees only its own entry of each (hide-secrets.ts).
   */
  privateAreas?: { dir: string; keep: string }[];
}

export interface PayloadUsage {
  cpuSeconds: number;
  wallSeconds: number;
  maxRssMB: number;
  maxPssMB: number;
}

export interface ContainerFailure {
  /** Which known stderr pattern matched ('unknown' when none did). */
  pattern: string;
  minorStatus: string;
  /** Tail of the `apptainer --debug exec … echo` re-run, secrets-free (it runs with no payload env). */
  diagnostics?: string;
}

export interface PayloadResult {
  /** The payload's exit code (for Apptainer: from the rc file the wrapper writes); null when killed by a signal or never started. */
  exitCode: number | null;
  signal: string | null;
  killReason: KillReason | null;
  /** DIRAC-style minor status for the job's final status. */
  minorStatus: string;
  usage: PayloadUsage;
  containerFailure?: ContainerFailure;
  /** The prmon-compatible resource report of the payload's whole run. */
  resources?: ResourceReport;
}

export interface PayloadHandle {
  /** Pid of the payload's root process (-1 if it could not be started). */
  pid: number;
  /** Latest watchdog sample as heartbeat fields, StandardOutput = last lines of stdout. */
  sample(): HeartbeatData;
  /** Idempotent; the first reason wins. TERM to the whole tree, grace, then KILL. */
  kill(reason: KillReason, detail?: string): void;
  /**
   * Asks the payload to wind down: its wind-down signal to its matching processes, once. False
   * when the job has no wind-down rule or it was already sent.
   */
  windDown(reason: string): boolean;
  /** Resolves once the payload and every process it left behind are gone. */
  done: Promise<PayloadResult>;
}

/** How to launch the root process: what direct.ts and apptainer.ts produce. */
export interface LaunchPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Apptainer: where the wrapper writes the payload's exit code (host path). */
  rcFile?: string;
}

/** Environment variable that tags every process of one payload (see process-tree.ts). */
export const PAYLOAD_MARKER_ENV = 'DIRAC_PILOT_PAYLOAD_MARKER';

import { hostname } from 'node:os';
import type { BatchInfo } from '../../types.js';
import type { Logger } from '../../../core/logger.js';
import { accountedTime, fillInUsage } from './fill-in.js';
import { htcondorSources } from './htcondor.js';
import { lsfSources } from './lsf.js';
import { mjfSources, readShutdownTime } from './mjf.js';
import { readTextOrUrl } from './mjf-features.js';
import { pbsSources } from './pbs.js';
import { createCommandRunner } from './run-command.js';
import { sgeSources } from './sge.js';
import { capAtShutdown } from './shutdown-cap.js';
import { slurmSources } from './slurm.js';
import {
  TimeLeftSourceError,
  type CommandRunner,
  type CompleteUsage,
  type ResourceUsage,
  type SourceContext,
  type TimeLeftSource,
} from './types.js';

export type { CommandRunner, CommandResult, CompleteUsage, ResourceUsage, TimeUnit } from './types.js';
export { createCommandRunner } from './run-command.js';
export { fillInUsage, accountedTime } from './fill-in.js';
export { capAtShutdown } from './shutdown-cap.js';

export type TimeLeftSystem = 'slurm' | 'htcondor' | 'pbs' | 'lsf' | 'sge' | 'mjf';

export const SOURCES_BY_SYSTEM: Record<TimeLeftSystem, TimeLeftSource[]> = {
  slurm: slurmSources,
  htcondor: htcondorSources,
  pbs: pbsSources,
  lsf: lsfSources,
  sge: sgeSources,
  mjf: mjfSources,
};

/**
 * DIRAC's plugin choice (TimeLeft.__getBatchSystemPlugin): the first of these variables present
 * wins, in this order; MJF only when no batch system is recognised and both MJF variables are set.
 */
const DETECTION_ORDER: Array<[string, TimeLeftSystem]> = [
  ['LSB_JOBID', 'lsf'],
  ['PBS_JOBID', 'pbs'],
  ['SGE_TASK_ID', 'sge'],
  ['SLURM_JOB_ID', 'slurm'],
  ['_CONDOR_JOB_AD', 'htcondor'],
];
const JOB_ID_VARIABLE: Record<TimeLeftSystem, string | null> = {
  lsf: 'LSB_JOBID',
  pbs: 'PBS_JOBID',
  sge: 'JOB_ID',
  slurm: 'SLURM_JOB_ID',
  htcondor: null,
  mjf: null,
};

export function detectTimeLeftSystem(env: Record<string, string | undefined>): TimeLeftSystem | null {
  for (const [variable, system] of DETECTION_ORDER) if (env[variable] !== undefined) return system;
  if (env.MACHINEFEATURES !== undefined && env.JOBFEATURES !== undefined) return 'mjf';
  return null;
}

export interface TimeLeftConfig {
  /** The queue's configured CPU time per processor, in seconds (DIRAC's queue maxCPUTime is in minutes: x60). */
  queueCPUTime?: number;
  /** CEDefaults/MaxCPUTime in seconds: the last resort, default 0 ("better to match one job less than one more"). */
  maxCPUTime?: number;
}

export interface ReadTimeLeftOptions {
  env: Record<string, string | undefined>;
  /** What the batch probe found; null (or system null) detects from env as DIRAC does. */
  batch: BatchInfo | null;
  run?: CommandRunner;
  config: TimeLeftConfig;
  logger: Logger;
  /** Processors of the slot for the fill-ins; default batch.allocatedCpus, else 1. */
  processors?: number;
  readText?: (location: string) => Promise<string>;
  /** Seconds since the epoch; injectable for tests. */
  now?: () => number;
  /** When the pilot started (seconds since the epoch); default: this process's start. */
  pilotStartedAt?: number;
  hostname?: string;
}

export interface TimeLeftAttempt {
  source: string;
  error: string;
}

export interface TimeLeftReport {
  /** The source whose numbers are used: e.g. `slurm:scontrol`, `config:queue`, `config:maxCPUTime`. */
  source: string;
  /** The batch system whose commands were asked, or null when none was recognised. */
  system: TimeLeftSystem | null;
  /** As the source reported it (nulls for what it does not know). Null for the configuration fallbacks. */
  reported: ResourceUsage | null;
  /** After DIRAC's fill-ins with `processors` and the MJF shutdown cap. */
  usage: CompleteUsage | null;
  processors: number;
  /** Seconds left in the accounted unit (limit − used; for the fallbacks, the configured CPU seconds). */
  secondsLeft: number;
  /** $MACHINEFEATURES/shutdowntime if known (seconds since the epoch). */
  shutdownTime: number | null;
  /** When the report was read (seconds since the epoch): the reference for the shutdown cap. */
  readAt: number;
  /** Sources tried before the one used, each with why it was not usable. */
  attempts: TimeLeftAttempt[];
}

/**
 * The slot's time left: the batch system's sources in DIRAC's order, then the queue's
 * configured CPU time, then MaxCPUTime (default 0). Never throws for a broken batch system:
 * every failure is a one-line entry in `attempts`, logged as a warning, and the chain moves on.
 */
export async function readTimeLeft(options: ReadTimeLeftOptions): Promise<TimeLeftReport> {
  const now = options.now ?? (() => Date.now() / 1000);
  const system = resolveSystem(options.batch, options.env);
  const processors = Math.max(1, Math.floor(options.processors ?? options.batch?.allocatedCpus ?? 1));
  const jobIdVariable = system ? JOB_ID_VARIABLE[system] : null;
  const context: SourceContext = {
    env: options.env,
    jobId: options.batch?.jobId ?? (jobIdVariable ? (options.env[jobIdVariable] ?? null) : null),
    run: options.run ?? createCommandRunner(),
    readText: options.readText ?? readTextOrUrl,
    now,
    pilotStartedAt: options.pilotStartedAt ?? Date.now() / 1000 - process.uptime(),
    hostname: options.hostname ?? hostname(),
    logger: options.logger,
  };
  const attempts: TimeLeftAttempt[] = [];
  const shutdownTime = await readShutdownTime(context);

  for (const source of system ? SOURCES_BY_SYSTEM[system] : []) {
    let reported: ResourceUsage;
    try {
      reported = await source.read(context);
    } catch (error) {
      const message = error instanceof TimeLeftSourceError ? error.message : `${source.name}: ${(error as Error).message}`;
      attempts.push({ source: source.name, error: message });
      options.logger.warn(`time left: ${message}`);
      continue;
    }
    const readAt = now();
    const usage = completeUsage(reported, processors, shutdownTime, readAt);
    if ('error' in usage) {
      attempts.push({ source: source.name, error: usage.error });
      options.logger.warn(`time left: ${usage.error}`);
      continue;
    }
    const { used, limit } = accountedTime(usage);
    options.logger.debug({ usage }, `time left from ${usage.source}`);
    return { source: usage.source, system, reported, usage, processors, secondsLeft: limit - used, shutdownTime, readAt, attempts };
  }
  if (!system)
    attempts.push({
      source: 'batch',
      error: 'no batch system recognised (no LSB_JOBID, PBS_JOBID, SGE_TASK_ID, SLURM_JOB_ID, _CONDOR_JOB_AD or MJF)',
    });

  const fallback = configuredCpuTime(options.config);
  options.logger.info(`time left: using ${fallback.source} = ${fallback.seconds} s`);
  return {
    source: fallback.source,
    system,
    reported: null,
    usage: null,
    processors,
    secondsLeft: fallback.seconds,
    shutdownTime,
    readAt: now(),
    attempts,
  };
}

/** Fill-ins, then the shutdown cap: the same steps cpuWorkLeft repeats with its own processor count. */
export function completeUsage(
  reported: ResourceUsage,
  processors: number,
  shutdownTime: number | null,
  readAt: number,
): CompleteUsage | { error: string } {
  const filled = fillInUsage(reported, processors);
  if ('error' in filled) return filled;
  return shutdownTime === null ? filled : capAtShutdown(filled, shutdownTime - readAt, processors);
}

function configuredCpuTime(config: TimeLeftConfig): { source: string; seconds: number } {
  if (config.queueCPUTime !== undefined && Number.isFinite(config.queueCPUTime) && config.queueCPUTime > 0) {
    return { source: 'config:queue', seconds: config.queueCPUTime };
  }
  const max = config.maxCPUTime;
  return { source: 'config:maxCPUTime', seconds: max !== undefined && Number.isFinite(max) && max > 0 ? max : 0 };
}

function resolveSystem(batch: BatchInfo | null, env: Record<string, string | undefined>): TimeLeftSystem | null {
  const named = batch?.system?.toLowerCase();
  if (named && named in SOURCES_BY_SYSTEM) return named as TimeLeftSystem;
  return detectTimeLeftSystem(env);
}

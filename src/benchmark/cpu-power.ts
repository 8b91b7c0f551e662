import type { Logger } from '../core/logger.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { readNumericFeature, readTextOrUrl, type FeatureValue } from '../probes/batch/timeleft/mjf-features.js';
import { cpus } from 'node:os';
import { adNumber, parseClassAd } from '../probes/batch/classad.js';
import { powerProblem } from './power-bounds.js';
import { readPowerCache } from './power-cache.js';
import {
  measureCpuPower,
  readCpuIdentity,
  roundToTenth,
  type CpuPowerMeasurement,
  type Db12Shape,
  type MeasureCpuPowerOptions,
} from './db12.js';
import { findReferencePython, measureCpuPowerWithPython, type PythonChoice } from './db12-python.js';

export type CpuPowerSource = 'site' | 'config' | 'mjf' | 'htcondor' | 'cache' | 'db12';

/**
 * A figure the site publishes for this node, e.g. `-o /LocalSite/CPUNormalizationFactor=12.5`:
 * the value and where it came from, for the log and `pilot benchmark`.
 */
export interface SitePower {
  value: number;
  origin: string;
}

/** The node cache (power-cache.ts): where it is and whom to trust. */
export interface PowerCacheOptions {
  file: string;
  trustedUids?: number[];
  maxAgeSeconds?: number;
}

/**
 * Whether to measure under the node's CPython 3.11 first (db12-python.ts); without it, or when
 * there is none, the JavaScript port measures.
 */
export interface PythonRequest {
  choice: PythonChoice;
  /** Where PATH comes from. */
  env: Record<string, string | undefined>;
  /** Default DEFAULT_PYTHON_SHAPE. */
  shape?: Partial<Db12Shape>;
}

/** A DB12 measurement: the options of either engine. */
export type MeasureOptions = MeasureCpuPowerOptions & { python?: PythonRequest };

/**
 * Every source in precedence order, as DIRAC's sites expect: what the site publishes first (its
 * own figure, then Machine/Job Features, then the HTCondor machine ad), then the node's cache,
 * then a measurement. A source that is not there is skipped with a reason; one that is there but
 * unusable (unreadable MJF, a machine ad without the attribute, a refused cache) is skipped with
 * a warning; a site figure outside the sanity bounds is a configuration error.
 */
export type AutoCpuPowerOptions = { source: 'auto' } & MeasureOptions & {
    sitePower?: SitePower;
    env: Record<string, string | undefined>;
    /** MJF and machine-ad reader (files, or http(s) for MJF). */
    readText?: (location: string) => Promise<string>;
    cache?: PowerCacheOptions;
    /** Machine-ad attribute holding the per-core power (default HTCONDOR_POWER_ATTRIBUTE). */
    htcondorAttribute?: string;
    /** This node's logical CPU count, for the cache's identity check (default: os.cpus().length). */
    logicalCpus?: number;
  };

export type ResolveCpuPowerOptions =
  | ({ source: 'db12' } & MeasureOptions)
  | {
      source: 'mjf';
      env: Record<string, string | undefined>;
      logger: Logger;
      readText?: (location: string) => Promise<string>;
    }
  | { source: 'config'; value: number; logger: Logger }
  | AutoCpuPowerOptions;

/** The attribute a site adds to its startd's ads (STARTD_ATTRS) to publish the power of one core: DIRAC's own name for it. */
export const HTCONDOR_POWER_ATTRIBUTE = 'CPUNormalizationFactor';

export interface CpuPowerResult {
  /** Power of one processor (DIRAC's CPUNormalizationFactor). */
  power: number;
  source: CpuPowerSource;
  /** Where the number came from, for logs and `pilot benchmark`: e.g. `$JOBFEATURES/hs06_job / allocated_cpu`. */
  detail: string;
  /** How steady the figure is, relative to it (measured figures only): chunk percentiles 10 and 90, standard error. */
  spread?: { low: number; high: number; standardError: number };
  /** Sources of higher precedence that were not used, each with why (e.g. `mjf: $MACHINEFEATURES not set`). */
  skipped?: string[];
  /** The DB12 measurement, when measured. */
  measurement?: CpuPowerMeasurement;
}

/** CPU power from a DB12 run, from Machine/Job Features, from configuration, or from the first source that has one ('auto'). */
export async function resolveCpuPower(options: ResolveCpuPowerOptions): Promise<CpuPowerResult> {
  switch (options.source) {
    case 'db12': {
      const skipped: string[] = [];
      const result = await measuredPower(options, skipped);
      return skipped.length ? { ...result, skipped } : result;
    }
    case 'mjf': {
      const result = await powerFromMjf(options.env, options.readText ?? readTextOrUrl, options.logger);
      const problem = powerProblem(result.power, `MJF CPU power (${result.detail})`);
      if (problem) throw new PilotError(ExitCode.COMMAND_FAILED, problem);
      return result;
    }
    case 'config':
      return configuredPower(options.value, 'config', 'configured CPUNormalizationFactor');
    case 'auto':
      return await firstAvailablePower(options);
  }
}

/** DB12 under the node's CPython 3.11 when asked for and present, else (or when that fails) the JavaScript port. */
async function measuredPower(options: MeasureOptions, skipped: string[]): Promise<CpuPowerResult> {
  if (options.python) {
    const found = await findReferencePython(options.python.choice, options.python.env, options.signal);
    if ('python' in found) {
      try {
        const { python: _request, shape: _jsShape, ...common } = options;
        const measurement = await measureCpuPowerWithPython({
          ...common,
          python: found.python,
          ...(options.python.shape ? { shape: options.python.shape } : {}),
        });
        return resultOf(measurement);
      } catch (error) {
        // Stopping is not a reason to measure another way.
        if (options.signal?.aborted) throw error;
        const message = (error as Error).message;
        options.logger.warn(`CPU power: ${message}; measuring with the JavaScript port instead`);
        skipped.push(`db12-python: ${message}`);
      }
    } else {
      options.signal?.throwIfAborted();
      // Naming an interpreter that cannot be used is worth a warning; not having one is the common case.
      if (options.python.choice !== 'auto' && options.python.choice !== 'none') {
        options.logger.warn(`CPU power: --db12-python not used: ${found.refused}`);
      }
      skipped.push(`db12-python: ${found.refused}`);
    }
  }
  return resultOf(await measureCpuPower(options));
}

function resultOf(measurement: CpuPowerMeasurement): CpuPowerResult {
  const { low, high, standardError } = measurement.spread;
  const engine =
    measurement.engine === 'cpython' && measurement.interpreter
      ? `DB12 under CPython ${measurement.interpreter.version} (${measurement.interpreter.path})`
      : `DB12 (JavaScript, calibration ${measurement.calibration.id})`;
  return {
    power: measurement.power,
    source: 'db12',
    detail: `${engine}, ${measurement.copies} cop${measurement.copies === 1 ? 'y' : 'ies'}, min of raw`,
    spread: { low, high, standardError },
    measurement,
  };
}

function configuredPower(value: number, source: 'config' | 'site', detail: string): CpuPowerResult {
  const what = source === 'site' ? `site CPU power (${detail})` : 'configured CPU power';
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new PilotError(ExitCode.CONFIG, `${what} must be a positive number, got ${value}`);
  }
  const problem = powerProblem(value, what);
  if (problem) throw new PilotError(ExitCode.CONFIG, problem);
  return { power: value, source, detail };
}

async function firstAvailablePower(options: AutoCpuPowerOptions): Promise<CpuPowerResult> {
  const skipped: string[] = [];
  const logger = options.logger;
  const readText = options.readText ?? readTextOrUrl;
  const found = (result: CpuPowerResult): CpuPowerResult => (skipped.length ? { ...result, skipped } : result);

  if (options.sitePower) return found(configuredPower(options.sitePower.value, 'site', options.sitePower.origin));
  skipped.push('site: no figure published (-o /LocalSite/CPUNormalizationFactor)');

  if (options.env.JOBFEATURES || options.env.MACHINEFEATURES) {
    try {
      return found(await resolveCpuPower({ source: 'mjf', env: options.env, logger, readText }));
    } catch (error) {
      logger.warn(`CPU power: MJF skipped: ${(error as Error).message}`);
      skipped.push(`mjf: ${(error as Error).message}`);
    }
  } else {
    skipped.push('mjf: neither $JOBFEATURES nor $MACHINEFEATURES is set');
  }

  const machineAd = options.env._CONDOR_MACHINE_AD;
  if (machineAd) {
    const attribute = options.htcondorAttribute ?? HTCONDOR_POWER_ATTRIBUTE;
    try {
      const value = adNumber(parseClassAd(await readText(machineAd)), attribute);
      if (value === null) throw new Error(`no numeric ${attribute} in the machine ad ${machineAd}`);
      const problem = powerProblem(value, `machine ad ${attribute}`);
      if (problem) throw new Error(problem);
      return found({ power: value, source: 'htcondor', detail: `$_CONDOR_MACHINE_AD ${attribute}` });
    } catch (error) {
      const message = (error as Error).message;
      // An ad without the attribute is the common case (most sites do not publish one): no warning.
      if (!message.startsWith('no numeric')) logger.warn(`CPU power: machine ad skipped: ${message}`);
      skipped.push(`htcondor: ${message}`);
    }
  } else {
    skipped.push('htcondor: $_CONDOR_MACHINE_AD is not set');
  }

  if (options.cache) {
    const cpu = options.cpu ?? readCpuIdentity();
    const read = readPowerCache(options.cache.file, {
      cpu,
      logicalCpus: options.logicalCpus ?? cpus().length,
      ...(options.cache.trustedUids ? { trustedUids: options.cache.trustedUids } : {}),
      ...(options.cache.maxAgeSeconds !== undefined ? { maxAgeSeconds: options.cache.maxAgeSeconds } : {}),
    });
    if ('entry' in read) {
      const { entry } = read;
      const correction = options.correction ?? 1;
      const power = roundToTenth(entry.power / correction);
      return found({
        power,
        source: 'cache',
        detail: `${options.cache.file}: ${entry.method}, measured ${entry.measuredAt}${correction !== 1 ? `, / correction ${correction}` : ''}`,
        ...(entry.standardError !== undefined
          ? { spread: { low: -entry.standardError, high: entry.standardError, standardError: entry.standardError } }
          : {}),
      });
    }
    logger.warn(`CPU power: ${read.refused}`);
    skipped.push(`cache: ${read.refused}`);
  } else {
    skipped.push('cache: none configured');
  }

  return found(await measuredPower(options, skipped));
}

/**
 * HS06 per processor from MJF. The job's own figure first ($JOBFEATURES/hs06_job over
 * allocated_cpu), then the machine's ($MACHINEFEATURES/hs06 over total_cpu, or over the older
 * min(max(log_cores, phys_cores), jobslots) that DIRAC reads). Note: DIRAC returns hs06_job
 * undivided, which equals the per-processor power only for single-processor slots; the formula
 * multiplies power by CPU seconds of all processors, so the per-processor figure is the right one.
 */
export async function powerFromMjf(
  env: Record<string, string | undefined>,
  readText: (location: string) => Promise<string>,
  logger: Logger,
): Promise<CpuPowerResult> {
  const problems: string[] = [];
  const read = async (base: string | undefined, name: string): Promise<number | null> => {
    if (!base) return null;
    const result: FeatureValue = await readNumericFeature(readText, base, name);
    if ('error' in result) problems.push(result.error);
    return 'value' in result && result.value > 0 ? result.value : null;
  };
  const job = env.JOBFEATURES;
  const machine = env.MACHINEFEATURES;
  if (!job && !machine) throw new PilotError(ExitCode.COMMAND_FAILED, 'MJF CPU power: neither $JOBFEATURES nor $MACHINEFEATURES is set');

  const hs06Job = await read(job, 'hs06_job');
  if (hs06Job !== null) {
    const allocated = await read(job, 'allocated_cpu');
    const power = roundToHundredth(hs06Job / (allocated ?? 1));
    return { power, source: 'mjf', detail: allocated ? '$JOBFEATURES/hs06_job / allocated_cpu' : '$JOBFEATURES/hs06_job' };
  }
  const hs06 = await read(machine, 'hs06');
  if (hs06 !== null) {
    const totalCpu = await read(machine, 'total_cpu');
    if (totalCpu !== null) return { power: roundToHundredth(hs06 / totalCpu), source: 'mjf', detail: '$MACHINEFEATURES/hs06 / total_cpu' };
    const logCores = (await read(machine, 'log_cores')) ?? 0;
    const physCores = (await read(machine, 'phys_cores')) ?? 0;
    const jobSlots = await read(machine, 'jobslots');
    if ((logCores || physCores) && jobSlots) {
      return {
        power: roundToHundredth(hs06 / Math.min(Math.max(logCores, physCores), jobSlots)),
        source: 'mjf',
        detail: '$MACHINEFEATURES/hs06 / min(max(log_cores, phys_cores), jobslots)',
      };
    }
    problems.push('$MACHINEFEATURES/hs06 is set but no total_cpu, or log_cores/phys_cores and jobslots, to divide it by');
  }
  for (const problem of problems) logger.warn(`MJF CPU power: ${problem}`);
  throw new PilotError(ExitCode.COMMAND_FAILED, `MJF CPU power: no usable hs06_job or hs06${problems.length ? ` (${problems[0]})` : ''}`);
}

function roundToHundredth(value: number): number {
  return Math.round(value * 100) / 100;
}

import type { Logger } from '../core/logger.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { readNumericFeature, readTextOrUrl, type FeatureValue } from '../probes/batch/timeleft/mjf-features.js';
import { measureCpuPower, type CpuPowerMeasurement, type MeasureCpuPowerOptions } from './db12.js';

export type CpuPowerSource = 'db12' | 'mjf' | 'config';

export type ResolveCpuPowerOptions =
  | ({ source: 'db12' } & MeasureCpuPowerOptions)
  | {
      source: 'mjf';
      env: Record<string, string | undefined>;
      logger: Logger;
      readText?: (location: string) => Promise<string>;
    }
  | { source: 'config'; value: number; logger: Logger };

export interface CpuPowerResult {
  /** Power of one processor (DIRAC's CPUNormalizationFactor). */
  power: number;
  source: CpuPowerSource;
  /** Where the number came from, for logs and `pilot benchmark`: e.g. `$JOBFEATURES/hs06_job / allocated_cpu`. */
  detail: string;
  /** The DB12 measurement, when measured. */
  measurement?: CpuPowerMeasurement;
}

/** CPU power from a DB12 run, from Machine/Job Features, or from configuration (e.g. pilot.json / CS). */
export async function resolveCpuPower(options: ResolveCpuPowerOptions): Promise<CpuPowerResult> {
  switch (options.source) {
    case 'db12': {
      const measurement = await measureCpuPower(options);
      return { power: measurement.power, source: 'db12', detail: `DB12, ${measurement.copies} cop${measurement.copies === 1 ? 'y' : 'ies'}, min of raw`, measurement };
    }
    case 'mjf':
      return await powerFromMjf(options.env, options.readText ?? readTextOrUrl, options.logger);
    case 'config': {
      if (!(options.value > 0) || !Number.isFinite(options.value)) {
        throw new PilotError(ExitCode.CONFIG, `configured CPU power must be a positive number, got ${options.value}`);
      }
      return { power: options.value, source: 'config', detail: 'configured CPUNormalizationFactor' };
    }
  }
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
  throw new PilotError(
    ExitCode.COMMAND_FAILED,
    `MJF CPU power: no usable hs06_job or hs06${problems.length ? ` (${problems[0]})` : ''}`,
  );
}

function roundToHundredth(value: number): number {
  return Math.round(value * 100) / 100;
}


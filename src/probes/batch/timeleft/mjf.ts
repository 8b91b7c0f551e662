import { readNumericFeature, type FeatureValue } from './mjf-features.js';
import { TimeLeftSourceError, type ResourceUsage, type SourceContext, type TimeLeftSource } from './types.js';

/**
 * Machine/Job Features: $JOBFEATURES/{wall_limit_secs, cpu_limit_secs, jobstart_secs} and
 * $MACHINEFEATURES/shutdowntime. DIRAC uses MJF only when no batch system is recognised; the
 * shutdown time also caps every other source (index.ts), since a machine being drained ends all
 * of its slots whatever the batch system says.
 */

const SOURCE = 'mjf';

export interface MjfTimes {
  wallLimit: number | null;
  cpuLimit: number | null;
  jobStart: number | null;
  shutdownTime: number | null;
}

export async function readMjfTimes(context: SourceContext): Promise<{ times: MjfTimes; problems: string[] }> {
  const problems: string[] = [];
  const take = (result: FeatureValue): number | null => {
    if ('value' in result) return result.value;
    if ('error' in result) problems.push(result.error);
    return null;
  };
  const jobFeatures = context.env.JOBFEATURES;
  const machineFeatures = context.env.MACHINEFEATURES;
  const times: MjfTimes = { wallLimit: null, cpuLimit: null, jobStart: null, shutdownTime: null };
  if (jobFeatures) {
    times.wallLimit = take(await readNumericFeature(context.readText, jobFeatures, 'wall_limit_secs'));
    times.cpuLimit = take(await readNumericFeature(context.readText, jobFeatures, 'cpu_limit_secs'));
    times.jobStart = take(await readNumericFeature(context.readText, jobFeatures, 'jobstart_secs'));
  }
  if (machineFeatures) {
    times.shutdownTime = take(await readNumericFeature(context.readText, machineFeatures, 'shutdowntime'));
  }
  return { times, problems };
}

/** $MACHINEFEATURES/shutdowntime (seconds since the epoch), or null when unset, absent or unreadable (warned). */
export async function readShutdownTime(context: SourceContext): Promise<number | null> {
  const machineFeatures = context.env.MACHINEFEATURES;
  if (!machineFeatures) return null;
  const result = await readNumericFeature(context.readText, machineFeatures, 'shutdowntime');
  if ('error' in result) context.logger.warn(`mjf: ${result.error}`);
  return 'value' in result ? result.value : null;
}

/** DIRAC's MJF rules, with the shutdown cap applied to the job's real end (start + limit). */
export function mjfUsage(times: MjfTimes, now: number, pilotStartedAt: number): ResourceUsage {
  if (times.wallLimit === null || times.wallLimit <= 0) throw new TimeLeftSourceError(SOURCE, 'no usable $JOBFEATURES/wall_limit_secs');
  if (times.cpuLimit === null || times.cpuLimit <= 0) throw new TimeLeftSourceError(SOURCE, 'no usable $JOBFEATURES/cpu_limit_secs');
  // Without jobstart_secs DIRAC counts from its own start; the pilot's start is the same idea.
  const jobStart = times.jobStart ?? pilotStartedAt;
  let wallLimit = times.wallLimit;
  if (times.shutdownTime !== null && jobStart + wallLimit > times.shutdownTime) {
    wallLimit = Math.max(0, times.shutdownTime - jobStart);
  }
  return {
    CPU: null,
    CPULimit: times.cpuLimit,
    WallClock: Math.max(0, now - jobStart),
    WallClockLimit: wallLimit,
    Unit: 'CPU',
    source: SOURCE,
  };
}

export const mjfSources: TimeLeftSource[] = [
  {
    name: SOURCE,
    async read(context: SourceContext) {
      if (!context.env.JOBFEATURES) throw new TimeLeftSourceError(SOURCE, '$JOBFEATURES is not set');
      const { times, problems } = await readMjfTimes(context);
      for (const problem of problems) context.logger.warn(`mjf: ${problem}`);
      return mjfUsage(times, context.now(), context.pilotStartedAt);
    },
  },
];

import type { BatchContext } from './types.js';

/**
 * HEPiX Machine/Job Features: one value per file under $MACHINEFEATURES and $JOBFEATURES.
 * Sites that run MJF publish the slot's cores, memory, limits and the machine's shutdown time.
 */
export interface MachineJobFeatures {
  machine: Record<string, string>;
  job: Record<string, string>;
}

const MACHINE_KEYS = ['hs06', 'shutdowntime', 'total_cpu', 'grace_secs', 'db12'];
const JOB_KEYS = [
  'allocated_cpu',
  'max_rss_bytes',
  'max_swap_bytes',
  'wall_limit_secs',
  'cpu_limit_secs',
  'jobstart_secs',
  'hs06_job',
  'shutdowntime_job',
  'mem_limit_bytes',
  'scratch_limit_bytes',
];

async function readFeatures(context: BatchContext, dir: string | undefined, keys: string[]): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  if (!dir) return result;
  const values = await Promise.all(keys.map(async (key) => [key, await context.source.readText(`${dir}/${key}`)] as const));
  for (const [key, value] of values) if (value !== null && value.trim() !== '') result[key] = value.trim();
  return result;
}

export async function readMjf(context: BatchContext): Promise<MachineJobFeatures | null> {
  const { MACHINEFEATURES, JOBFEATURES } = context.env;
  if (!MACHINEFEATURES && !JOBFEATURES) return null;
  const [machine, job] = await Promise.all([
    readFeatures(context, MACHINEFEATURES, MACHINE_KEYS),
    readFeatures(context, JOBFEATURES, JOB_KEYS),
  ]);
  if (Object.keys(machine).length === 0 && Object.keys(job).length === 0) {
    context.warnings.add('batch', 'MACHINEFEATURES/JOBFEATURES are set but hold no readable feature files');
  }
  return { machine, job };
}

/** A non-negative integer feature, or null with a warning naming the file when malformed. */
export function featureNumber(context: BatchContext, features: Record<string, string>, key: string): number | null {
  const raw = features[key];
  if (raw === undefined) return null;
  if (!/^\d+(?:\.\d+)?$/.test(raw)) {
    context.warnings.add('batch', `MJF ${key}=${JSON.stringify(raw.slice(0, 40))} is not a number; ignored`);
    return null;
  }
  return Number(raw);
}

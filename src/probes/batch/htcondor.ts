import { adNumber, adString, parseClassAd, type ClassAdValue } from './classad.js';
import { idList, type BatchAllocation, type BatchContext } from './types.js';

async function readAd(context: BatchContext, variable: string): Promise<Map<string, ClassAdValue> | null> {
  const file = context.env[variable];
  if (!file) return null;
  const text = await context.source.readText(file);
  if (text === null) {
    context.warnings.add('batch', `${variable} points to ${file}, which cannot be read`);
    return null;
  }
  const ad = parseClassAd(text);
  if (ad.size === 0) context.warnings.add('batch', `${variable} file ${file} holds no "Attr = value" lines`);
  return ad;
}

/**
 * HTCondor: the slot's resources are in the machine ad (Cpus, Memory in MB, GPUs, AssignedGPUs);
 * the job ad has the request and the job's identity (GlobalJobId, ClusterId.ProcId).
 */
export async function readHtcondor(context: BatchContext): Promise<BatchAllocation | null> {
  const { env } = context;
  if (!env._CONDOR_JOB_AD && !env._CONDOR_MACHINE_AD) return null;
  const [jobAd, machineAd] = await Promise.all([readAd(context, '_CONDOR_JOB_AD'), readAd(context, '_CONDOR_MACHINE_AD')]);
  const cluster = adNumber(jobAd, 'ClusterId');
  const proc = adNumber(jobAd, 'ProcId');
  const globalJobId = adString(jobAd, 'GlobalJobId');
  const jobId = cluster !== null ? `${cluster}.${proc ?? 0}` : (globalJobId ?? env._CONDOR_SLOT ?? 'unknown');
  const assigned = idList(adString(machineAd, 'AssignedGPUs') ?? env._CONDOR_AssignedGPUs ?? undefined);
  return {
    system: 'htcondor',
    jobId,
    globalJobId,
    allocatedCpus: adNumber(machineAd, 'Cpus') ?? adNumber(jobAd, 'RequestCpus'),
    allocatedMemoryMB: adNumber(machineAd, 'Memory') ?? adNumber(jobAd, 'RequestMemory'),
    allocatedGpus: adNumber(machineAd, 'GPUs') ?? adNumber(jobAd, 'RequestGPUs') ?? (assigned ? assigned.length : null),
    gpuIds: assigned,
    maxRuntimeSeconds: adNumber(jobAd, 'MaxRuntime'),
    scratchDir: env._CONDOR_SCRATCH_DIR ?? null,
  };
}

import { readHostFile } from './hostfile.js';
import { envCount, type BatchAllocation, type BatchContext } from './types.js';

/**
 * SGE / Grid Engine. JOB_ID alone is too generic a name to trust, so one of the SGE-only
 * variables must be there too (DIRAC checks SGE_TASK_ID).
 */
export async function readSge(context: BatchContext): Promise<BatchAllocation | null> {
  const { env } = context;
  const jobId = env.JOB_ID;
  if (
    !jobId ||
    !(env.SGE_TASK_ID !== undefined || env.NSLOTS !== undefined || env.PE_HOSTFILE !== undefined || env.SGE_ROOT !== undefined)
  ) {
    return null;
  }
  const hosts = await readHostFile(context, 'PE_HOSTFILE');
  // PE_HOSTFILE lines: `host slots queue processor-range`.
  const firstSlots = hosts?.[0]?.split(/\s+/)[1];
  const fromHostFile = firstSlots !== undefined && /^\d+$/.test(firstSlots) ? Number(firstSlots) : null;
  return {
    system: 'sge',
    jobId,
    allocatedCpus: fromHostFile ?? envCount(context, 'NSLOTS'),
    allocatedMemoryMB: null,
    allocatedGpus: null,
    nodes: hosts?.length ?? null,
    queue: env.QUEUE ?? null,
  };
}

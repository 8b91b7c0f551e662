import { readHostFile } from './hostfile.js';
import { envCount, type BatchAllocation, type BatchContext } from './types.js';

/** PBS/Torque: PBS_NUM_PPN per node, else this node's lines in PBS_NODEFILE, else PBS_NP. */
export async function readPbs(context: BatchContext): Promise<BatchAllocation | null> {
  const jobId = context.env.PBS_JOBID;
  if (!jobId) return null;
  const hosts = await readHostFile(context, 'PBS_NODEFILE');
  const firstHost = hosts?.[0];
  const fromNodeFile = firstHost !== undefined ? hosts!.filter((host) => host === firstHost).length : null;
  const ppn = envCount(context, 'PBS_NUM_PPN');
  const np = envCount(context, 'PBS_NP');
  return {
    system: 'pbs',
    jobId,
    allocatedCpus: ppn ?? fromNodeFile ?? np,
    allocatedMemoryMB: null,
    allocatedGpus: null,
    nodes: hosts ? new Set(hosts).size : envCount(context, 'PBS_NUM_NODES'),
    queue: context.env.PBS_QUEUE ?? null,
  };
}

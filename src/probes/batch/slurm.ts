import { envCount, idList, type BatchAllocation, type BatchContext } from './types.js';

/** `72(x2),36` → [72, 72, 36]; null when malformed. */
export function expandSlurmCpusPerNode(text: string): number[] | null {
  const result: number[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)(?:\(x(\d+)\))?\s*$/.exec(part);
    if (!match) return null;
    const repeat = match[2] === undefined ? 1 : Number(match[2]);
    if (repeat > 100000) return null;
    for (let i = 0; i < repeat; i += 1) result.push(Number(match[1]));
  }
  return result;
}

/** Slurm exports the allocation into the job's environment; no command needed. */
export function readSlurm(context: BatchContext): BatchAllocation | null {
  const { env, warnings } = context;
  const jobId = env.SLURM_JOB_ID ?? env.SLURM_JOBID;
  if (!jobId) return null;
  let perNode: number[] | null = null;
  if (env.SLURM_JOB_CPUS_PER_NODE !== undefined) {
    perNode = expandSlurmCpusPerNode(env.SLURM_JOB_CPUS_PER_NODE);
    if (perNode === null)
      warnings.add(
        'batch',
        `SLURM_JOB_CPUS_PER_NODE=${JSON.stringify(env.SLURM_JOB_CPUS_PER_NODE.slice(0, 40))} is not understood; ignored`,
      );
  }
  const cpus = envCount(context, 'SLURM_CPUS_ON_NODE') ?? perNode?.[0] ?? null;
  const memPerNode = envCount(context, 'SLURM_MEM_PER_NODE');
  const memPerCpu = envCount(context, 'SLURM_MEM_PER_CPU');
  const memory = memPerNode ?? (memPerCpu !== null && cpus !== null ? memPerCpu * cpus : null);
  const gpuIds = idList(env.SLURM_JOB_GPUS);
  const gpus = envCount(context, 'SLURM_GPUS_ON_NODE') ?? (gpuIds ? gpuIds.length : null);
  return {
    system: 'slurm',
    jobId,
    allocatedCpus: cpus,
    allocatedMemoryMB: memory,
    allocatedGpus: gpus,
    gpuIds,
    nodes: perNode?.length ?? envCount(context, 'SLURM_JOB_NUM_NODES'),
    partition: env.SLURM_JOB_PARTITION ?? null,
  };
}

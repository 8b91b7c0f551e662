import { envCount, type BatchAllocation, type BatchContext } from './types.js';

/** `hostA 4 hostB 2` → [['hostA', 4], ['hostB', 2]]; null when malformed. */
export function parseLsfMcpuHosts(text: string): Array<[string, number]> | null {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0 || tokens.length % 2 !== 0) return null;
  const pairs: Array<[string, number]> = [];
  for (let i = 0; i < tokens.length; i += 2) {
    const count = tokens[i + 1] as string;
    if (!/^\d+$/.test(count)) return null;
    pairs.push([tokens[i] as string, Number(count)]);
  }
  return pairs;
}

/** LSF: this (first) host's slot count in LSB_MCPU_HOSTS, else LSB_DJOB_NUMPROC. */
export function readLsf(context: BatchContext): BatchAllocation | null {
  const { env, warnings } = context;
  const jobId = env.LSB_JOBID ?? env.LSB_BATCH_JID;
  if (!jobId) return null;
  let hosts: Array<[string, number]> | null = null;
  if (env.LSB_MCPU_HOSTS !== undefined) {
    hosts = parseLsfMcpuHosts(env.LSB_MCPU_HOSTS);
    if (hosts === null)
      warnings.add('batch', `LSB_MCPU_HOSTS=${JSON.stringify(env.LSB_MCPU_HOSTS.slice(0, 40))} is not "host count ..." pairs; ignored`);
  }
  return {
    system: 'lsf',
    jobId,
    allocatedCpus: hosts?.[0]?.[1] ?? envCount(context, 'LSB_DJOB_NUMPROC'),
    allocatedMemoryMB: null,
    allocatedGpus: null,
    nodes: hosts?.length ?? null,
    queue: env.LSB_QUEUE ?? null,
  };
}

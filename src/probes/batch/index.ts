import type { BatchInfo } from '../types.js';
import { readHtcondor } from './htcondor.js';
import { readLsf } from './lsf.js';
import { featureNumber, readMjf } from './mjf.js';
import { readPbs } from './pbs.js';
import { readSge } from './sge.js';
import { readSlurm } from './slurm.js';
import type { BatchAllocation, BatchContext, Env } from './types.js';

export type { BatchContext, Env } from './types.js';

/**
 * DIRAC's detection order (Pilot `getSubmitterInfo`): the first variable present names the batch
 * system, and its flavour prefixes the pilot reference (`sshslurm://<ce>/<job id>`).
 */
interface Submitter {
  system: string;
  flavour: string;
  jobId(env: Env): string | undefined;
}

const SUBMITTERS: Submitter[] = [
  { system: 'pbs', flavour: 'sshpbs', jobId: (env) => env.PBS_JOBID },
  { system: 'oar', flavour: 'sshoar', jobId: (env) => env.OAR_JOBID },
  { system: 'sge', flavour: 'sshge', jobId: (env) => (env.SGE_TASK_ID !== undefined ? env.JOB_ID : undefined) },
  { system: 'lsf', flavour: 'sshlsf', jobId: (env) => env.LSB_BATCH_JID ?? env.LSB_JOBID },
  { system: 'slurm', flavour: 'sshslurm', jobId: (env) => env.SLURM_JOBID ?? env.SLURM_JOB_ID },
  { system: 'htcondor', flavour: 'htcondorce', jobId: (env) => env._CONDOR_JOB_AD },
  { system: 'local', flavour: 'local', jobId: (env) => env.LOCAL_JOBID },
  { system: 'ssh', flavour: 'ssh', jobId: (env) => env.SSHCE_JOBID },
  { system: 'htcondor', flavour: 'htcondorce', jobId: (env) => env.HTCONDOR_JOBID },
  { system: 'arc', flavour: 'arc', jobId: (env) => env.GRID_GLOBAL_JOBURL },
  { system: 'cloud', flavour: 'cloud', jobId: (env) => env.PILOT_UUID },
];

/** The submitter DIRAC would name, its flavour and job id; null when none of its variables is set. */
export function detectSubmitter(env: Env): { system: string; flavour: string; jobId: string } | null {
  for (const submitter of SUBMITTERS) {
    const jobId = submitter.jobId(env);
    if (jobId) return { system: submitter.system, flavour: submitter.flavour, jobId };
  }
  // Allocation readers also accept names DIRAC does not check (SGE without SGE_TASK_ID, ...).
  return null;
}

/** `<flavour>://<ce>/<id>`; ARC already gives a URL and cloud a UUID, used as they are. */
export function pilotReferenceFor(flavour: string, jobId: string, ceName: string): string {
  if (flavour === 'arc' || /^[a-z][a-z0-9+.-]*:\/\//i.test(jobId)) return jobId;
  // PBS ids carry the server (`1234.pbs.example.org`); the reference keeps the number.
  const id = flavour === 'sshpbs' ? (jobId.split('.')[0] ?? jobId) : jobId;
  return `${flavour}://${ceName}/${id}`;
}

/** Where the job was submitted from, as each batch system records it: for an SSH CE, the CE itself. */
export function submitHost(env: Env, allocation: BatchInfo | null): string | null {
  const fromEnv = env.SLURM_SUBMIT_HOST ?? env.PBS_O_HOST ?? env.LSB_SUB_HOST ?? env.SGE_O_HOST;
  if (fromEnv) return fromEnv;
  // HTCondor's GlobalJobId starts with the schedd's name: `ce01.example.org#4242.0#1732320000`.
  const global = typeof allocation?.globalJobId === 'string' ? allocation.globalJobId : null;
  const schedd = global?.split('#')[0];
  return schedd ? schedd : null;
}

const READERS: Record<string, (context: BatchContext) => BatchAllocation | null | Promise<BatchAllocation | null>> = {
  slurm: readSlurm,
  htcondor: readHtcondor,
  pbs: readPbs,
  lsf: readLsf,
  sge: readSge,
};

/**
 * The batch allocation of this slot. The allocation readers run in DIRAC's order; MJF values
 * fill in what the batch system left unsaid (or stand alone when nothing else is recognised).
 * The pilot reference names `ceName` when given, else the host the job was submitted from,
 * else `fallbackHost`.
 */
export async function readBatch(context: BatchContext, ceName?: string, fallbackHost = 'localhost'): Promise<BatchInfo> {
  const submitter = detectSubmitter(context.env);
  const order = submitter && READERS[submitter.system] ? [submitter.system] : [];
  for (const name of Object.keys(READERS)) if (!order.includes(name)) order.push(name);

  let allocation: BatchInfo | null = null;
  for (const name of order) {
    allocation = await (READERS[name] as (typeof READERS)[string])(context);
    if (allocation) break;
  }
  if (!allocation && submitter) {
    allocation = { system: submitter.system, jobId: submitter.jobId, allocatedCpus: null, allocatedMemoryMB: null, allocatedGpus: null };
  }

  const mjf = await readMjf(context);
  if (mjf) {
    const cpus = featureNumber(context, mjf.job, 'allocated_cpu');
    const rss = featureNumber(context, mjf.job, 'max_rss_bytes');
    allocation ??= { system: 'mjf', jobId: null, allocatedCpus: null, allocatedMemoryMB: null, allocatedGpus: null };
    allocation.allocatedCpus ??= cpus;
    allocation.allocatedMemoryMB ??= rss !== null ? Math.floor(rss / (1024 * 1024)) : null;
    allocation.mjf = mjf;
  }
  if (!allocation)
    return { system: null, jobId: null, pilotReference: null, allocatedCpus: null, allocatedMemoryMB: null, allocatedGpus: null };

  const system = allocation.system;
  const flavour = SUBMITTERS.find((entry) => entry.system === system)?.flavour ?? String(system);
  const referenceSource = submitter ?? (allocation.jobId ? { flavour, jobId: String(allocation.jobId) } : null);
  let reference: string | null = null;
  if (referenceSource) {
    // For HTCondor DIRAC's variable is the ad path; the reference names the job, not the file.
    const jobId =
      referenceSource.flavour === 'htcondorce' && allocation.system === 'htcondor' ? String(allocation.jobId) : referenceSource.jobId;
    reference = pilotReferenceFor(referenceSource.flavour, jobId, ceName ?? submitHost(context.env, allocation) ?? fallbackHost);
  }
  return { ...allocation, pilotReference: reference };
}

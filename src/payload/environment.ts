import type { JobDescription } from './job.js';
import type { Slot } from './slots.js';

/**
 * Variables a payload may inherit from the pilot's own environment. Everything else is dropped:
 * the pilot's environment can hold credentials (DIRACX_*, tokens, X509_USER_PROXY of the pilot),
 * and a payload must never see them.
 */
const INHERITED_EXACT = new Set([
  'PATH',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'USER',
  'LOGNAME',
  'SHELL',
  'X509_CERT_DIR',
  'X509_VOMS_DIR',
  'X509_VOMSES',
]);
const INHERITED_PREFIXES = ['LC_', 'SLURM_', '_CONDOR_', 'PBS_', 'LSB_', 'SGE_', 'MACHINEFEATURES', 'JOBFEATURES'];
/** Never passed on, whatever the rules above say. */
const NEVER = /TOKEN|SECRET|PASSWORD|CREDENTIAL|PROXY|^DIRACX_|^PILOT_/i;

/** Apptainer's environment whitelist, as DIRAC's Singularity CE applies it (dirac-pilot.md §6). */
const CONTAINER_PREFIXES = ['VOMS_', 'X509_', 'XRD_', 'Xrd', 'DIRAC_', 'BEARER_TOKEN'];
const CONTAINER_EXACT = new Set(['TERM', 'DIRACJOBID', 'DIRACSITE', 'OMP_NUM_THREADS', 'CUDA_VISIBLE_DEVICES', 'TMP', 'TMPDIR']);

export interface PayloadEnvironmentInput {
  pilotEnv: NodeJS.ProcessEnv;
  job: JobDescription;
  slot: Slot;
  site: string;
  jobDir: string;
  /** Apptainer runs apply DIRAC's whitelist on top. */
  container: boolean;
  /**
   * What the site gives every payload (--userEnvVariables, -k's PYTHONPATH, …): added after the
   * secret filter, which it is not subject to, and kept inside containers; the job's own
   * environment still wins.
   */
  siteEnv?: Readonly<Record<string, string>>;
}

function inherited(name: string): boolean {
  if (NEVER.test(name)) return false;
  return INHERITED_EXACT.has(name) || INHERITED_PREFIXES.some((p) => name.startsWith(p));
}

/** The exact environment one payload starts with. */
export function payloadEnvironment(input: PayloadEnvironmentInput): Record<string, string> {
  const { pilotEnv, job, slot, site, jobDir, container } = input;
  const siteEnv = input.siteEnv ?? {};
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(pilotEnv)) {
    if (value !== undefined && inherited(name)) env[name] = value;
  }
  Object.assign(env, siteEnv);
  const tmp = container ? '/tmp' : `${jobDir}/tmp`;
  Object.assign(env, {
    HOME: container ? '/home' : jobDir,
    TMPDIR: tmp,
    TMP: tmp,
    DIRACJOBID: String(job.jobId),
    DIRACSITE: site,
    DIRAC_PROCESSORS: String(slot.processors),
    DIRAC_JOB_PROCESSORS: String(slot.processors),
    DIRAC_WHOLENODE: slot.wholeNode ? 'True' : 'False',
    OMP_NUM_THREADS: String(slot.processors),
  });
  // An empty CUDA_VISIBLE_DEVICES hides every GPU: a job without GPUs must not grab one.
  env.CUDA_VISIBLE_DEVICES = slot.gpus.join(',');
  if (slot.gpus.length > 0) env.NVIDIA_VISIBLE_DEVICES = slot.gpus.join(',');
  for (const [name, value] of Object.entries(job.environment)) {
    if (!NEVER.test(name)) env[name] = value;
  }
  if (!container) return env;
  const filtered: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (
      CONTAINER_EXACT.has(name) ||
      CONTAINER_PREFIXES.some((p) => name.startsWith(p)) ||
      Object.hasOwn(job.environment, name) ||
      Object.hasOwn(siteEnv, name)
    ) {
      filtered[name] = value;
    }
  }
  return filtered;
}

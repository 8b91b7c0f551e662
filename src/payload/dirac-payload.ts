import path from 'node:path';
import type { JobDescription } from './job.js';

/**
 * Where DIRAC itself comes from for payloads that need it (`dirac-jobexec` with a workflow XML):
 * an Apptainer image that has DIRAC, or a script that sets up a DIRAC environment (e.g. on CVMFS).
 * The pilot never installs DIRAC on the node.
 */
export interface DiracPayloadConfig {
  image?: string;
  environment?: string;
}

export interface PayloadLaunch {
  argv: string[];
  /** Image to use instead of the job's or the pilot's default, when DIRAC's comes from one. */
  image: string | null;
}

export class DiracEnvironmentMissing extends Error {}

export function isDiracPayload(description: Pick<JobDescription, 'executable'>): boolean {
  return path.basename(description.executable) === 'dirac-jobexec';
}

/**
 * How to start the job's executable. Plain executables start as they are. `dirac-jobexec` runs
 * in the configured DIRAC image (Apptainer), or after sourcing the configured DIRAC environment
 * script: the shell text is constant and every value travels as an argument, never spliced in.
 */
export function payloadLaunch(
  description: Pick<JobDescription, 'executable' | 'arguments'>,
  config: DiracPayloadConfig,
  runner: 'direct' | 'apptainer',
): PayloadLaunch {
  if (!isDiracPayload(description)) return { argv: [description.executable, ...description.arguments], image: null };
  const args = ['dirac-jobexec', ...description.arguments];
  if (config.image && runner === 'apptainer') return { argv: args, image: config.image };
  if (config.environment) return { argv: ['/bin/sh', '-c', '. "$0" && exec "$@"', config.environment, ...args], image: null };
  throw new DiracEnvironmentMissing(
    'dirac-jobexec needs DIRAC: configure --dirac-image (with the Apptainer runner) or --dirac-environment (a script to source, e.g. on CVMFS)',
  );
}

import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobCredentials } from '../backend/types.js';

/** Where the token appears inside an Apptainer container (bound read-only). */
export const CONTAINER_TOKEN_PATH = '/tmp/.dirac_bearer_token';

export interface PayloadTokenFile {
  /** Host path of the token file (mode 0600, outside the job directory). */
  file: string;
  remove(): Promise<void>;
}

/**
 * Writes the job owner's access token for a job that asked for it, outside the job directory so
 * no output sandbox pattern can ever pick it up, in a 0700 directory of the pilot's work directory.
 */
export async function writePayloadToken(workDir: string, jobId: number, credentials: JobCredentials): Promise<PayloadTokenFile> {
  const dir = await ensureTokensDir(workDir);
  const file = path.join(dir, tokenFileName(jobId));
  // Created anew, never through a name someone else put there.
  await rm(file, { force: true });
  await writeFile(file, `${credentials.accessToken}\n`, { mode: 0o600, flag: 'wx' });
  return { file, remove: () => rm(file, { force: true }) };
}

/**
 * The directory of the per-job tokens (0700). It exists before any payload starts, so that each
 * payload's view of it can be made (hide-secrets.ts).
 */
export async function ensureTokensDir(workDir: string): Promise<string> {
  const dir = path.join(workDir, 'tokens');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export function tokenFileName(jobId: number): string {
  return `job-${jobId}`;
}

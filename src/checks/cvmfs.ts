import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { repositoryName } from '../probes/cvmfs.js';
import { withDeadline } from '../probes/deadline.js';
import { ExitCode } from '../core/exit-codes.js';
import { result, type CheckResult } from './types.js';

/**
 * Each required repository must be mounted (listing it triggers autofs) and hold something:
 * an empty directory is a failed mount.
 */
export async function checkCvmfs(required: string[], cvmfsRoot = '/cvmfs', timeoutMs = 20_000): Promise<CheckResult> {
  const names = required.map(repositoryName).filter(Boolean);
  if (names.length === 0) return result('cvmfs', 'skip', 'no CVMFS repository required', ExitCode.CVMFS);
  const states = await Promise.all(
    names.map(async (name) => {
      try {
        // The first access mounts the repository (autofs), which may take seconds; a wedged one never answers.
        const entries = await withDeadline<string[] | 'timeout'>(readdir(path.join(cvmfsRoot, name)), timeoutMs, 'timeout');
        if (entries === 'timeout') return `${name} (no answer within ${timeoutMs / 1000} s)`;
        return entries.length > 0 ? null : `${name} (empty)`;
      } catch (error) {
        return `${name} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
      }
    }),
  );
  const missing = states.filter((state): state is string => state !== null);
  if (missing.length > 0) return result('cvmfs', 'fail', `missing or unreadable under ${cvmfsRoot}: ${missing.join(', ')}`, ExitCode.CVMFS);
  return result('cvmfs', 'pass', `mounted and readable: ${names.join(', ')}`, ExitCode.CVMFS);
}

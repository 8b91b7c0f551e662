import { randomBytes } from 'node:crypto';
import { open, readFile, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode } from '../core/exit-codes.js';
import { result, type CheckResult } from './types.js';

/** Write, sync, read back and remove a small file: proves the directory is really usable. */
async function roundTrip(dir: string): Promise<string | null> {
  const file = path.join(dir, `.pilot-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  const payload = randomBytes(16).toString('hex');
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(payload);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const back = await readFile(file, 'utf8');
    return back === payload ? null : 'a file written there read back different';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  } finally {
    await rm(file, { force: true }).catch(() => undefined);
  }
}

async function freeMB(dir: string): Promise<number | null> {
  try {
    const stats = await statfs(dir);
    return Math.floor((stats.bavail * stats.bsize) / (1024 * 1024));
  } catch {
    return null;
  }
}

export async function checkWorkDir(workDir: string, minMB: number): Promise<CheckResult> {
  const problem = await roundTrip(workDir);
  if (problem) return result('workdir', 'fail', `${workDir} is not writable (${problem})`, ExitCode.WORKDIR);
  const free = await freeMB(workDir);
  if (free === null) return result('workdir', 'fail', `cannot read the free space of ${workDir}`, ExitCode.WORKDIR);
  if (free < minMB) return result('workdir', 'fail', `${workDir} has ${free} MB free, below the minimum of ${minMB} MB`, ExitCode.WORKDIR);
  return result('workdir', 'pass', `${workDir} writable, ${free} MB free (minimum ${minMB} MB)`, ExitCode.WORKDIR);
}

/** /tmp and, when set, $TMPDIR: every one must be usable; the first problem is reported. */
export async function checkTmpDirs(dirs: string[], minMB = 100): Promise<CheckResult> {
  const unique = [...new Set(dirs.filter(Boolean))];
  const results = await Promise.all(unique.map((dir) => checkTmp(dir, minMB)));
  const failed = results.find((check) => check.status === 'fail') ?? results.find((check) => check.status === 'warn');
  if (failed) return failed;
  return result('tmp', 'pass', results.map((check) => check.detail).join('; '), ExitCode.TMP);
}

/** Apptainer and most payloads write to /tmp; a full or read-only /tmp eats jobs. */
export async function checkTmp(tmpDir: string, minMB = 100): Promise<CheckResult> {
  const problem = await roundTrip(tmpDir);
  if (problem) return result('tmp', 'fail', `${tmpDir} is not writable (${problem})`, ExitCode.TMP);
  const free = await freeMB(tmpDir);
  if (free !== null && free < minMB) return result('tmp', 'warn', `${tmpDir} writable but only ${free} MB free`, ExitCode.TMP);
  return result('tmp', 'pass', `${tmpDir} writable${free !== null ? `, ${free} MB free` : ''}`, ExitCode.TMP);
}

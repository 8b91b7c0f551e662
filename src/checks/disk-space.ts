import { randomBytes } from 'node:crypto';
import { access, constants, open, readFile, realpath, rm, stat, statfs } from 'node:fs/promises';
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

/** `\\040`-style octal escapes of /proc/self/mountinfo (spaces, tabs, newlines, backslashes in paths). */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The per-mount options of the mount holding `dir` (an existing, resolved path), from the text of
 * /proc/self/mountinfo: the longest mount point that contains it, the last one listed when mounts
 * stack. Null when no line parses.
 */
export function mountOptionsFor(mountinfo: string, dir: string): string[] | null {
  let best: { point: string; options: string[] } | null = null;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 10) continue;
    const point = unescapeMountPath(fields[4]!);
    const inside = point === '/' || dir === point || dir.startsWith(`${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, options: fields[5]!.split(',') };
  }
  return best?.options ?? null;
}

/** The directory itself, or its nearest existing ancestor (where `run` would create it). */
async function nearestExisting(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      await stat(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/**
 * The work directory must take files, have room, and let scripts run (a `noexec` mount passes a
 * write test, then every script payload fails with 126 as if the application were at fault).
 * A missing one is what `run` and `exec` create: it is checked where they would create it,
 * without writing there.
 */
export async function checkWorkDir(workDir: string, minMB: number, mountinfoFile = '/proc/self/mountinfo'): Promise<CheckResult> {
  const existing = await nearestExisting(workDir);
  const missing = existing !== path.resolve(workDir);
  if (missing) {
    try {
      await access(existing, constants.W_OK | constants.X_OK);
    } catch (error) {
      return result(
        'workdir',
        'fail',
        `${workDir} does not exist and cannot be created in ${existing} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        ExitCode.WORKDIR,
      );
    }
  } else {
    const problem = await roundTrip(workDir);
    if (problem) return result('workdir', 'fail', `${workDir} is not writable (${problem})`, ExitCode.WORKDIR);
  }
  const free = await freeMB(existing);
  if (free === null) return result('workdir', 'fail', `cannot read the free space of ${existing}`, ExitCode.WORKDIR);
  if (free < minMB) return result('workdir', 'fail', `${existing} has ${free} MB free, below the minimum of ${minMB} MB`, ExitCode.WORKDIR);
  const mountinfo = await readFile(mountinfoFile, 'utf8').catch(() => '');
  const options = mountOptionsFor(mountinfo, await realpath(existing).catch(() => existing));
  if (options?.includes('noexec')) {
    return result('workdir', 'fail', `${existing} is on a noexec mount: script payloads there would fail with 126`, ExitCode.WORKDIR);
  }
  const where = missing ? `${workDir} does not exist yet (run and exec create it); ${existing}` : workDir;
  return result('workdir', 'pass', `${where} writable, ${free} MB free (minimum ${minMB} MB)`, ExitCode.WORKDIR);
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

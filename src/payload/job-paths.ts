import { lstatSync } from 'node:fs';
import path from 'node:path';

/*
 * Every path a job controls (StdOutput, StdError, OutputSandbox patterns, local input sandbox
 * entries, OutputData names, …) names something inside its job directory, and nothing else. The
 * rules, one place for every caller:
 *  - relative, no NUL, no `..` component (refused, not resolved), not the job directory itself;
 *  - no component of it, as it stands on disk now, is a symlink, and none but the last is anything
 *    but a directory (the walk is lstat by lstat: nothing is followed);
 *  - `file`: the last component, when it exists, is a regular file (not a directory, FIFO, device).
 * This is the check at the time the job is set up. Files the pilot later opens there go through
 * safe-open.ts, which refuses the same things at the open itself, since a running payload can
 * change the directory between the check and the open.
 */

export type JobPathReason =
  'empty' | 'absolute' | 'leaves' | 'job-directory' | 'symlink' | 'directory' | 'not-regular' | 'no-directory' | 'bad-name';

const REASON_TEXT: Record<JobPathReason, string> = {
  empty: 'is empty',
  absolute: 'is absolute (outside the job directory)',
  leaves: 'leaves the job directory ("..")',
  'job-directory': 'names the job directory itself',
  symlink: 'crosses a symlink',
  directory: 'names a directory',
  'not-regular': 'names a FIFO, socket or device',
  'no-directory': 'lies in a directory that does not exist',
  'bad-name': 'is not a valid file name',
};

/** A job-controlled path the pilot refuses: the job's own failure (docs/failure-causes.md). */
export class JobPathRefused extends Error {
  constructor(
    /** The JDL field (StdOutput, OutputSandbox, …). */
    readonly field: string,
    readonly value: string,
    readonly reason: JobPathReason,
  ) {
    super(`${field} ${JSON.stringify(printable(value))} ${REASON_TEXT[reason]}`);
    this.name = 'JobPathRefused';
  }
}

/** Components of a job-controlled path, checked without touching the disk. */
export function jobPathComponents(field: string, value: string): string[] {
  if (value.trim() === '') throw new JobPathRefused(field, value, 'empty');
  if (value.includes('\0') || Buffer.byteLength(value) > 4096) throw new JobPathRefused(field, value, 'bad-name');
  if (value.startsWith('/')) throw new JobPathRefused(field, value, 'absolute');
  const components = value.split('/').filter((c) => c !== '' && c !== '.');
  if (components.includes('..')) throw new JobPathRefused(field, value, 'leaves');
  if (components.length === 0) throw new JobPathRefused(field, value, 'job-directory');
  if (components.some((c) => Buffer.byteLength(c) > 255)) throw new JobPathRefused(field, value, 'bad-name');
  return components;
}

export interface ResolveOptions {
  /** 'file': the path must name a regular file when it exists (StdOutput); 'any': a file or a directory (a sandbox entry). */
  expect: 'file' | 'any';
}

/**
 * The absolute path of `value` inside `jobDir`, or JobPathRefused. Intermediate directories must
 * exist for a 'file' (the pilot does not create directories a job names).
 */
export function resolveJobPath(jobDir: string, field: string, value: string, options: ResolveOptions = { expect: 'file' }): string {
  const components = jobPathComponents(field, value);
  let current = path.resolve(jobDir);
  for (const [i, component] of components.entries()) {
    current = path.join(current, component);
    const last = i === components.length - 1;
    let stats;
    try {
      stats = lstatSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && last) return current;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new JobPathRefused(field, value, 'no-directory');
      throw error;
    }
    if (stats.isSymbolicLink()) throw new JobPathRefused(field, value, 'symlink');
    if (!last) {
      if (!stats.isDirectory()) throw new JobPathRefused(field, value, 'no-directory');
      continue;
    }
    if (stats.isDirectory()) {
      if (options.expect === 'file') throw new JobPathRefused(field, value, 'directory');
    } else if (!stats.isFile()) {
      throw new JobPathRefused(field, value, 'not-regular');
    }
  }
  return current;
}

/** `value` relative to the job directory, `/`-separated, after the same checks. */
export function relativeJobPath(jobDir: string, field: string, value: string, options?: ResolveOptions): string {
  return path
    .relative(path.resolve(jobDir), resolveJobPath(jobDir, field, value, options))
    .split(path.sep)
    .join('/');
}

/** A job-chosen name for a minor status: JSON-quoted (control characters escaped), at most 200 characters. */
function printable(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

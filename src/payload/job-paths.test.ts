import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobPathRefused, relativeJobPath, resolveJobPath } from './job-paths.js';
import { forceOpenByPath, openInDir, readSmallFile, UnsafeJobFile } from './safe-open.js';

const job = mkdtempSync(path.join(tmpdir(), 'job-paths-'));
afterAll(() => rmSync(job, { recursive: true, force: true }));
mkdirSync(path.join(job, 'sub'));
writeFileSync(path.join(job, 'sub', 'f'), 'x');
writeFileSync(path.join(job, 'plain'), 'plain');
symlinkSync('sub', path.join(job, 'dirlink'));
symlinkSync('plain', path.join(job, 'filelink'));
symlinkSync('/etc/passwd', path.join(job, 'outlink'));
execFileSync('mkfifo', [path.join(job, 'fifo')]);

const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof JobPathRefused || error instanceof UnsafeJobFile) return error.reason;
    throw error;
  }
  return 'accepted';
};

describe('resolveJobPath: a job-controlled name stays in its directory', () => {
  it.each([
    ['std.out', 'accepted'],
    ['./sub//f', 'accepted'],
    ['sub/new', 'accepted'],
    ['', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['../x', 'leaves'],
    ['sub/../../x', 'leaves'],
    ['sub/..', 'leaves'],
    ['.', 'job-directory'],
    ['a\0b', 'bad-name'],
    ['x'.repeat(256), 'bad-name'],
    ['sub', 'directory'],
    ['dirlink/f', 'symlink'],
    ['filelink', 'symlink'],
    ['outlink', 'symlink'],
    ['fifo', 'not-regular'],
    ['plain/x', 'no-directory'],
    ['nodir/x', 'no-directory'],
  ])('%j → %s', (value, expected) => {
    expect(reason(() => resolveJobPath(job, 'StdOutput', value))).toBe(expected);
  });

  it('a sandbox entry may name a directory; the result is relative and /-separated', () => {
    expect(relativeJobPath(job, 'InputSandbox', './sub', { expect: 'any' })).toBe('sub');
    expect(relativeJobPath(job, 'StdOutput', 'sub/f')).toBe('sub/f');
  });

  it('names the field and the value in one printable line', () => {
    expect(() => resolveJobPath(job, 'StdError', '../\nx')).toThrow('StdError "../\\nx" leaves the job directory ("..")');
  });
});

describe('openInDir: the open itself refuses what a payload swapped in', () => {
  it.each([
    ['filelink', 'symlink'],
    ['outlink', 'symlink'],
    ['dirlink/f', 'symlink'],
    ['fifo', 'not-regular'],
    ['sub', 'directory'],
    ['../plain', 'outside'],
  ])('%s → %s (read)', (name, expected) => {
    expect(reason(() => openInDir(job, name, 'read'))).toBe(expected);
  });

  it('appending refuses a file with more than one link, and creates a missing one 0600', () => {
    linkSync(path.join(job, 'plain'), path.join(job, 'hard'));
    expect(reason(() => openInDir(job, 'hard', 'append'))).toBe('hard-link');
    expect(reason(() => openInDir(job, 'fresh', 'append'))).toBe('accepted');
  });

  it('the job directory itself swapped for a link is not followed either', () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'job-paths-parent-'));
    symlinkSync(job, path.join(parent, '1'));
    expect(reason(() => openInDir(path.join(parent, '1'), 'plain', 'read'))).toBe('symlink');
    rmSync(parent, { recursive: true });
  });

  it('readSmallFile reads a bounded start, and nothing through a link or a FIFO', () => {
    expect(readSmallFile(job, 'plain', 3)).toBe('pla');
    expect(readSmallFile(job, 'outlink', 100)).toBeNull();
    expect(readSmallFile(job, 'fifo', 100)).toBeNull();
  });
});

describe('openInDir without /proc (walk by path)', () => {
  it.each([
    ['filelink', 'symlink'],
    ['outlink', 'symlink'],
    ['dirlink/f', 'symlink'],
    ['fifo', 'not-regular'],
    ['sub', 'directory'],
    ['sub/f', 'accepted'],
  ])('%s → %s (read)', (name, expected) => {
    forceOpenByPath(true);
    try {
      expect(reason(() => openInDir(job, name, 'read'))).toBe(expected);
    } finally {
      forceOpenByPath(false);
    }
  });
});

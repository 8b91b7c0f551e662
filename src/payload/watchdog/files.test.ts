import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSize, freeDiskMB, newestMtimeMs, tailLines } from './files.js';

const dir = mkdtempSync(path.join(tmpdir(), 'watchdog-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tailLines', () => {
  const file = path.join(dir, 'out.txt');
  writeFileSync(file, Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');

  it('gives the last N lines', () => expect(tailLines(file, 3, 1 << 20)).toBe('line 998\nline 999\nline 1000'));
  it('never reads more than the byte bound, dropping the cut line', () => {
    // 'line 1000\n' is 10 bytes, 'line 999\n' 9: 24 bytes hold part of 998, all of 999 and 1000.
    expect(tailLines(file, 800, 24)).toBe('line 999\nline 1000');
  });
  it('a file without a final newline keeps its last line', () => {
    writeFileSync(path.join(dir, 'partial'), 'a\nb');
    expect(tailLines(path.join(dir, 'partial'), 10, 100)).toBe('a\nb');
  });
  it('a missing file gives nothing', () => expect(tailLines(path.join(dir, 'nope'), 10, 100)).toBe(''));
});

describe('newestMtimeMs', () => {
  it('walks subdirectories, ignores symlinks, and stops at the entry bound', () => {
    const job = path.join(dir, 'job');
    mkdirSync(path.join(job, 'sub'), { recursive: true });
    writeFileSync(path.join(job, 'old'), '');
    writeFileSync(path.join(job, 'sub', 'new'), '');
    utimesSync(path.join(job, 'old'), 1000, 1000);
    utimesSync(path.join(job, 'sub', 'new'), 2000, 2000);
    symlinkSync('/', path.join(job, 'root-link'));
    expect(newestMtimeMs(job, 100)).toBe(2_000_000);
    expect(newestMtimeMs(path.join(dir, 'nope'), 100)).toBe(0);
  });
});

describe('disk and sizes', () => {
  it('statfs gives free MB of the job directory', () => expect(freeDiskMB(dir)).toBeGreaterThan(0));
  it('an unknown directory gives null, a missing file size 0', () => {
    expect(freeDiskMB(path.join(dir, 'missing'))).toBeNull();
    expect(fileSize(path.join(dir, 'missing'))).toBe(0);
  });
});

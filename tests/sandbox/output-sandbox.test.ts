import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractSandbox, packOutputSandbox, sha256File } from '../../src/payload/sandbox/index.js';
import { snapshot, tempDir } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let jobDir: string;
beforeEach(() => {
  work = tempDir();
  jobDir = path.join(work.dir, 'job');
  mkdirSync(path.join(jobDir, 'out/nested'), { recursive: true });
  writeFileSync(path.join(jobDir, 'std.out'), 'stdout text');
  writeFileSync(path.join(jobDir, 'job.log'), 'log 1');
  writeFileSync(path.join(jobDir, 'extra.log'), 'log 2');
  writeFileSync(path.join(jobDir, '.hidden.log'), 'hidden');
  writeFileSync(path.join(jobDir, 'out/a.txt'), 'a');
  writeFileSync(path.join(jobDir, 'out/b.dat'), 'b');
  writeFileSync(path.join(jobDir, 'out/nested/c.txt'), 'c');
  writeFileSync(path.join(work.dir, 'secret-outside'), 'do not ship');
});
afterEach(() => work.cleanup());

async function unpack(archive: string): Promise<Record<string, string>> {
  const dest = path.join(work.dir, 'unpacked');
  await extractSandbox(archive, dest);
  const tree = snapshot(dest);
  return Object.fromEntries(
    Object.entries(tree).map(([k, v]) => [k, v === 'dir' || v.startsWith('->') ? v : Buffer.from(v, 'base64').toString()]),
  );
}

describe('packOutputSandbox', () => {
  it('archives what DIRAC OutputSandbox patterns match, with sha256 and size of the written file', async () => {
    const outFile = path.join(work.dir, 'out.tar.zst');
    const packed = await packOutputSandbox(jobDir, ['std.out', '*.log', 'out/*.txt', 'missing.root', 'nothing/*'], outFile);
    expect(packed.format).toBe('tar.zst');
    expect(packed.path).toBe(outFile);
    expect(packed.size).toBe(statSync(outFile).size);
    expect(packed.sha256).toBe(await sha256File(outFile));
    expect(packed.files).toEqual(['std.out', 'extra.log', 'job.log', 'out/a.txt']);
    expect(packed.missing).toEqual(['missing.root', 'nothing/*']);
    expect(readFileSync(outFile).subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    expect(await unpack(outFile)).toEqual({
      'extra.log': 'log 2',
      'job.log': 'log 1',
      'out/': 'dir',
      'out/a.txt': 'a',
      'std.out': 'stdout text',
    });
  });

  it('takes a matched directory whole and lists each file once', async () => {
    const packed = await packOutputSandbox(jobDir, ['out', 'out/a.txt', 'o?t/[ab].*'], path.join(work.dir, 'o.tar.zst'));
    expect(packed.files).toEqual(['out/a.txt', 'out/b.dat', 'out/nested/c.txt']);
    expect(packed.missing).toEqual([]);
  });

  it('matches hidden files only with a pattern that starts with a dot, as Python glob does', async () => {
    expect((await packOutputSandbox(jobDir, ['*.log'], path.join(work.dir, '1.tar.zst'))).files).not.toContain('.hidden.log');
    expect((await packOutputSandbox(jobDir, ['.*.log'], path.join(work.dir, '2.tar.zst'))).files).toEqual(['.hidden.log']);
  });

  it('never reads through a symlink that leaves the job directory, and archives in-job symlinks as their file', async () => {
    symlinkSync(path.join(work.dir, 'secret-outside'), path.join(jobDir, 'leak.log'));
    symlinkSync('../', path.join(jobDir, 'up'));
    symlinkSync('out/a.txt', path.join(jobDir, 'alias.log'));
    const outFile = path.join(work.dir, 'o.tar.zst');
    const packed = await packOutputSandbox(jobDir, ['*.log', 'up/secret-outside', 'up'], outFile);
    expect(packed.files).toEqual(['alias.log', 'extra.log', 'job.log']);
    expect(packed.skipped).toEqual([
      { path: 'leak.log', reason: 'symlink points outside the job directory' },
      { path: 'up', reason: 'symlink points outside the job directory' },
    ]);
    expect(packed.missing).toEqual(['up/secret-outside']);
    const unpacked = await unpack(outFile);
    expect(unpacked['alias.log']).toBe('a');
    expect(JSON.stringify(unpacked)).not.toContain('do not ship');
  });

  it('refuses patterns that leave the job directory and skips FIFOs without blocking on them', async () => {
    execFileSync('mkfifo', [path.join(jobDir, 'pipe.log')], { timeout: 10_000 });
    const packed = await packOutputSandbox(
      jobDir,
      ['../secret-outside', '/etc/passwd', 'LFN:/vo/user/x', 'pipe.log'],
      path.join(work.dir, 'o.tar.zst'),
    );
    expect(packed.files).toEqual([]);
    expect(packed.skipped.map((s) => s.path)).toEqual(['../secret-outside', '/etc/passwd', 'LFN:/vo/user/x', 'pipe.log']);
  });

  it('never archives the archive itself when it is written inside the job directory', async () => {
    const outFile = path.join(jobDir, 'out.tar.zst');
    await packOutputSandbox(jobDir, ['*'], outFile);
    // Packed again (a retried upload): the archive from the first run now matches '*'.
    const packed = await packOutputSandbox(jobDir, ['*'], outFile);
    expect(packed.files).not.toContain('out.tar.zst');
    expect(packed.files).toContain('std.out');
  });

  it('says which directory is missing instead of failing with a bare ENOENT', async () => {
    await expect(packOutputSandbox(path.join(work.dir, 'nope'), ['*'], path.join(work.dir, 'o.tar.zst'))).rejects.toMatchObject({
      reason: 'io',
      message: expect.stringMatching(/^job directory .*nope is not usable/),
    });
  });

  it('writes an archive even when nothing matched (DIRAC reports missing files, not a failure)', async () => {
    const outFile = path.join(work.dir, 'empty.tar.zst');
    const packed = await packOutputSandbox(jobDir, ['*.root'], outFile);
    expect(packed.files).toEqual([]);
    expect(packed.missing).toEqual(['*.root']);
    expect(await unpack(outFile)).toEqual({});
  });
});

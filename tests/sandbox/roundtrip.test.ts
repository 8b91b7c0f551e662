import { chmodSync, linkSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractSandbox, packDirectory, sha256File } from '../../src/payload/sandbox/index.js';
import { snapshot, tempDir } from './helpers.js';

let work: { dir: string; cleanup: () => void };
beforeEach(() => {
  work = tempDir();
});
afterEach(() => work.cleanup());

function makeTree(root: string): void {
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  mkdirSync(path.join(root, 'data/deep/deeper'), { recursive: true });
  writeFileSync(path.join(root, 'bin/run.sh'), '#!/bin/sh\necho hello\n');
  chmodSync(path.join(root, 'bin/run.sh'), 0o755);
  writeFileSync(path.join(root, 'empty'), '');
  writeFileSync(path.join(root, 'exact-block'), Buffer.alloc(512, 7));
  // Incompressible-ish bytes, bigger than one read chunk.
  const big = Buffer.alloc(700_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  writeFileSync(path.join(root, 'data/big.bin'), big);
  const longName = `${'n'.repeat(120)}/${'m'.repeat(150)}.txt`;
  mkdirSync(path.join(root, 'data/deep/deeper', 'n'.repeat(120)));
  writeFileSync(path.join(root, 'data/deep/deeper', longName), 'long name survives via pax');
  writeFileSync(path.join(root, 'unicodé ☃.txt'), 'snow');
  symlinkSync('bin/run.sh', path.join(root, 'link-to-run'));
  symlinkSync('../../empty', path.join(root, 'data/deep/up-link'));
}

describe('pack then extract', () => {
  for (const format of ['tar.zst', 'tar.bz2', 'tar.gz', 'tar'] as const) {
    it(`round-trips a tree through ${format}`, async () => {
      const source = path.join(work.dir, 'source');
      makeTree(source);
      const archive = path.join(work.dir, `in.${format}`);
      const written = await packDirectory(source, archive, format);
      expect(written.size).toBe(statSync(archive).size);
      expect(written.sha256).toBe(await sha256File(archive));
      expect(statSync(archive).mode & 0o777).toBe(0o600);

      const dest = path.join(work.dir, 'dest');
      const report = await extractSandbox(archive, dest, { expectedSha256: written.sha256.toUpperCase() });
      expect(report.format).toBe(format);
      expect(report.sha256).toBe(written.sha256);
      expect(snapshot(dest)).toEqual(snapshot(source));
      expect(statSync(path.join(dest, 'bin/run.sh')).mode & 0o777).toBe(0o755);
      expect(report.symlinks).toBe(2);
      expect(report.files).toBe(6);
    });
  }

  for (const format of ['tar.zst', 'tar.gz'] as const) {
    it(`writes ${format} archives that GNU tar reads back identically (pax long names included)`, async () => {
      const { execFileSync } = await import('node:child_process');
      const source = path.join(work.dir, 'source');
      makeTree(source);
      const archive = (await packDirectory(source, path.join(work.dir, `gnu.${format}`), format)).path;
      const dest = path.join(work.dir, 'gnu-dest');
      mkdirSync(dest);
      try {
        execFileSync('tar', ['-I', format === 'tar.zst' ? 'zstd' : 'gzip', '-xf', archive, '-C', dest], { timeout: 60_000, stdio: 'pipe' });
      } catch (error) {
        throw new Error(
          `GNU tar (with ${format === 'tar.zst' ? 'zstd' : 'gzip'} from .ci/apt-packages.txt) failed: ${(error as Error).message}`,
        );
      }
      expect(snapshot(dest)).toEqual(snapshot(source));
    });
  }

  it('keeps hardlinks made inside the archive as hardlinks', async () => {
    // GNU tar writes the second name as a hardlink entry ('1') to the first.
    const { execFileSync } = await import('node:child_process');
    const source = path.join(work.dir, 'source');
    mkdirSync(source);
    writeFileSync(path.join(source, 'a'), 'shared');
    linkSync(path.join(source, 'a'), path.join(source, 'b'));
    const archive = path.join(work.dir, 'links.tar');
    execFileSync('tar', ['-C', source, '-cf', archive, 'a', 'b'], { timeout: 60_000 });
    const dest = path.join(work.dir, 'dest');
    const report = await extractSandbox(archive, dest);
    expect(report.hardlinks).toBe(1);
    expect(statSync(path.join(dest, 'b')).ino).toBe(statSync(path.join(dest, 'a')).ino);
    expect(readFileSync(path.join(dest, 'b'), 'utf8')).toBe('shared');
  });

  it('merges a second sandbox into an existing job directory, the later file winning', async () => {
    const first = path.join(work.dir, 'first');
    const second = path.join(work.dir, 'second');
    mkdirSync(path.join(first, 'lib'), { recursive: true });
    mkdirSync(path.join(second, 'lib'), { recursive: true });
    writeFileSync(path.join(first, 'lib/a.py'), 'a1');
    writeFileSync(path.join(first, 'config'), 'old');
    writeFileSync(path.join(second, 'lib/b.py'), 'b2');
    writeFileSync(path.join(second, 'config'), 'new');
    const dest = path.join(work.dir, 'job');
    await extractSandbox((await packDirectory(first, path.join(work.dir, '1.tar.zst'))).path, dest);
    await extractSandbox((await packDirectory(second, path.join(work.dir, '2.tar.zst'))).path, dest);
    expect(snapshot(dest)).toEqual({
      config: Buffer.from('new').toString('base64'),
      'lib/': 'dir',
      'lib/a.py': Buffer.from('a1').toString('base64'),
      'lib/b.py': Buffer.from('b2').toString('base64'),
    });
  });

  it("with onExisting 'refuse', an existing file stops the merge before anything moves", async () => {
    const source = path.join(work.dir, 'source');
    mkdirSync(source);
    writeFileSync(path.join(source, 'aaa-new'), 'x');
    writeFileSync(path.join(source, 'config'), 'new');
    const dest = path.join(work.dir, 'job');
    mkdirSync(dest);
    writeFileSync(path.join(dest, 'config'), 'old');
    const archive = (await packDirectory(source, path.join(work.dir, 's.tar.zst'))).path;
    await expect(extractSandbox(archive, dest, { onExisting: 'refuse' })).rejects.toMatchObject({ reason: 'exists' });
    expect(snapshot(dest)).toEqual({ config: Buffer.from('old').toString('base64') });
  });

  it('makes the destination private when it creates it', async () => {
    const source = path.join(work.dir, 'source');
    mkdirSync(source);
    writeFileSync(path.join(source, 'f'), 'x');
    const dest = path.join(work.dir, 'new-job');
    await extractSandbox((await packDirectory(source, path.join(work.dir, 's.tar.zst'))).path, dest);
    expect(lstatSync(dest).mode & 0o777).toBe(0o700);
  });
});

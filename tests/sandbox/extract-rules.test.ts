import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { extractSandbox } from '../../src/payload/sandbox/index.js';
import { paxRecords, tarOf, zstd, type RawEntry } from './craft.js';
import { tempDir } from './helpers.js';

let work: { dir: string; cleanup: () => void };
beforeEach(() => {
  work = tempDir();
});
afterEach(() => work.cleanup());

async function extract(entries: RawEntry[] | Buffer, options: Parameters<typeof extractSandbox>[2] = {}) {
  const archive = path.join(work.dir, 'archive');
  writeFileSync(archive, Buffer.isBuffer(entries) ? entries : tarOf(entries));
  const dest = path.join(work.dir, 'dest');
  const report = await extractSandbox(archive, dest, options);
  return { dest, report };
}

describe('what extraction allows, and how', () => {
  it('strips setuid/setgid/sticky and group/other write bits, and reports the stripped entries', async () => {
    const { dest, report } = await extract([
      { name: 'suid', data: 'x', mode: 0o4755 },
      { name: 'sgid-dir', type: '5', mode: 0o2777 },
      { name: 'world-writable', data: 'x', mode: 0o666 },
      { name: 'read-only', data: 'x', mode: 0o400 },
    ]);
    expect(lstatSync(path.join(dest, 'suid')).mode & 0o7777).toBe(0o755);
    expect(lstatSync(path.join(dest, 'sgid-dir')).mode & 0o7777).toBe(0o755);
    expect(lstatSync(path.join(dest, 'world-writable')).mode & 0o7777).toBe(0o644);
    // The owner can always read and write what the job owns: cleanup never fails on it.
    expect(lstatSync(path.join(dest, 'read-only')).mode & 0o7777).toBe(0o600);
    expect(report.strippedModes).toEqual(['suid', 'sgid-dir']);
  });

  it('allows symlinks and hardlinks that stay inside, including up-and-back-down ones', async () => {
    const { dest, report } = await extract([
      { name: './', type: '5' },
      { name: './lib/real.so', data: 'elf' },
      { name: './lib/alias.so', type: '2', linkname: 'real.so' },
      { name: './bin/tool', type: '2', linkname: '../lib/real.so' },
      { name: './self', type: '2', linkname: '.' },
      { name: './copy', type: '1', linkname: 'lib/real.so' },
    ]);
    expect(readlinkSync(path.join(dest, 'bin/tool'))).toBe('../lib/real.so');
    expect(readFileSync(path.join(dest, 'bin/tool'), 'utf8')).toBe('elf');
    expect(lstatSync(path.join(dest, 'copy')).ino).toBe(lstatSync(path.join(dest, 'lib/real.so')).ino);
    expect(report).toMatchObject({ symlinks: 3, hardlinks: 1, files: 1, directories: 2, entries: 6 });
  });

  it('a second sandbox merged into the same directory cannot redirect a link of the first out', async () => {
    // First sandbox: a -> . (inside). Second: b -> a/.. would be the parent of destDir once merged.
    const { dest } = await extract([{ name: 'a', type: '2', linkname: '.' }]);
    const second = path.join(work.dir, 'second');
    writeFileSync(second, tarOf([{ name: 'b', type: '2', linkname: 'a/..' }]));
    await expect(extractSandbox(second, dest)).rejects.toMatchObject({ reason: 'symlink-escape', entry: 'b' });
    expect(readdirSync(dest)).toEqual(['a']);
  });

  it('lets a later file replace an earlier one of the same name, as tar does', async () => {
    const { dest } = await extract([
      { name: 'f', data: 'first' },
      { name: 'g', type: '2', linkname: 'f' },
      { name: 'f', data: 'second' },
      { name: 'g', data: 'now a file' },
    ]);
    expect(readFileSync(path.join(dest, 'f'), 'utf8')).toBe('second');
    expect(lstatSync(path.join(dest, 'g')).isFile()).toBe(true);
  });

  it('takes pax path and size records and ignores the rest (atime, comments, global headers)', async () => {
    const long = `${'p'.repeat(200)}/file.txt`;
    const { dest } = await extract([
      { ...paxRecords({ comment: '3f2a9c1e' }), name: 'pax_global_header', type: 'g' },
      paxRecords({ path: long, atime: '1700000000.5', comment: 'hello' }),
      { name: 'truncated-name', data: 'via pax' },
    ]);
    expect(readFileSync(path.join(dest, long), 'utf8')).toBe('via pax');
  });

  it('applies a pending pax size to the next real entry, not to a GNU long-name header between them', async () => {
    const name = `${'x'.repeat(150)}.txt`;
    const { dest } = await extract([
      paxRecords({ size: '5' }),
      { name: '././@LongLink', type: 'L', data: `${name}\0` },
      { name: 'short', data: 'hello' },
    ]);
    expect(readFileSync(path.join(dest, name), 'utf8')).toBe('hello');
  });

  it('reads nothing after the end-of-archive marker (trailing garbage is never decompressed)', async () => {
    const archive = Buffer.concat([tarOf([{ name: 'a', data: 'a' }]), Buffer.from('garbage that is not a header'.repeat(100))]);
    const { dest, report } = await extract(archive);
    expect(readdirSync(dest)).toEqual(['a']);
    expect(report.expandedBytes).toBe(1024 + 512);
  });

  it('accepts a huge ratio for small archives (under the grace size) and counts bytes', async () => {
    const { report } = await extract(zstd(tarOf([{ name: 'zeros', data: Buffer.alloc(1024 * 1024) }])));
    expect(report.format).toBe('tar.zst');
    expect(report.bytesWritten).toBe(1024 * 1024);
    expect(report.expandedBytes / report.compressedBytes).toBeGreaterThan(100);
  });

  it('logs one warning line naming the reason and entry when it refuses', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _e, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    await expect(extract([{ name: '../x', data: 'x' }], { logger })).rejects.toMatchObject({ reason: 'path-traversal', entry: '../x' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, reason: 'path-traversal', entry: '../x' });
    expect(String(lines[0]!.msg)).toMatch(/^sandbox refused: entry name contains "\.\." \(entry "\.\.\/x"\)$/);
  });

  it('refuses bad limit values instead of silently using defaults', async () => {
    await expect(extract([{ name: 'a', data: 'a' }], { limits: { maxBytes: -1 } })).rejects.toThrow(/maxBytes/);
  });
});

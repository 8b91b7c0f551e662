import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { coalesce, tarStream } from './tar-writer.js';

async function* from(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}
async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

describe('coalesce', () => {
  it('gathers small chunks into ones of at least `size`, keeps the bytes and their order', async () => {
    const small = Array.from({ length: 10 }, (_, i) => Buffer.alloc(300, i));
    const out = await collect(coalesce(from(small), 1000));
    expect(out.map((b) => b.length)).toEqual([1200, 1200, 600]);
    expect(Buffer.concat(out)).toEqual(Buffer.concat(small));
  });

  it('passes a large chunk through as it is, after what was pending', async () => {
    const big = Buffer.alloc(5000, 7);
    const out = await collect(coalesce(from([Buffer.from('ab'), big, Buffer.from('c')]), 1000));
    expect(out).toEqual([Buffer.from('ab'), big, Buffer.from('c')]);
    expect(out[1]).toBe(big);
  });

  it('yields nothing for nothing', async () => {
    expect(await collect(coalesce(from([]), 1000))).toEqual([]);
  });
});

describe('tarStream', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tar-writer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes small files (read synchronously) and large ones (read in chunks) alike: header, content, zero padding', async () => {
    const small = path.join(dir, 'small.txt');
    const large = path.join(dir, 'large.bin');
    writeFileSync(small, 'hello');
    writeFileSync(large, Buffer.alloc(300 * 1024, 0x41));
    const tar = Buffer.concat(
      await collect(
        tarStream([
          { type: 'file', name: 'small.txt', source: small, mode: 0o644, mtime: 0 },
          { type: 'file', name: 'large.bin', source: large, mode: 0o644, mtime: 0 },
        ]),
      ),
    );
    // 512 header + 512 (5 bytes padded) + 512 header + 300 KiB + 2 × 512 end of archive.
    expect(tar.length).toBe(512 + 512 + 512 + 300 * 1024 + 1024);
    expect(tar.subarray(512, 517).toString()).toBe('hello');
    expect(tar.subarray(517, 1024).every((b) => b === 0)).toBe(true);
    expect(tar.subarray(1536, 1536 + 300 * 1024).every((b) => b === 0x41)).toBe(true);
  });

  it('refuses a file that became a symlink since it was collected (O_NOFOLLOW), small or not', async () => {
    const link = path.join(dir, 'link');
    symlinkSync('/etc/hostname', link);
    await expect(collect(tarStream([{ type: 'file', name: 'link', source: link, mode: 0o644, mtime: 0 }]))).rejects.toThrow(
      /ELOOP|symbolic/,
    );
  });
});

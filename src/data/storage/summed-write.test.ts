import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setImmediate as nextLoop } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { adler32, adler32Hex } from '../adler32.js';
import { writeSummed } from './summed-write.js';

describe('writeSummed: a stream to a new file, summed on the way, written in batches', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const dir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'summed-'));
    dirs.push(d);
    return d;
  };

  it('writes every byte in order, across batch boundaries, and sums them', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 12345);
    async function* pieces() {
      for (let at = 0; at < data.length;) {
        const n = 1 + ((at * 7919) % 70_000);
        yield data.subarray(at, at + n);
        at += n;
      }
    }
    const dest = join(await dir(), 'out.bin');
    expect(await writeSummed(pieces(), dest)).toEqual({ size: data.length, adler32: adler32Hex(adler32(data)) });
    expect((await readFile(dest)).equals(data)).toBe(true);
    // A Node stream goes through 'data' events, paused while both batches are busy (a small
    // highWaterMark makes the source feel the pause).
    const viaStream = join(await dir(), 'stream.bin');
    const stream = Readable.from(pieces(), { objectMode: false, highWaterMark: 1024 });
    expect(await writeSummed(stream, viaStream)).toEqual({ size: data.length, adler32: adler32Hex(adler32(data)) });
    expect((await readFile(viaStream)).equals(data)).toBe(true);
  });

  it("ends with the stream's error, and stops a Node stream on the signal", async () => {
    const d = await dir();
    async function* failing() {
      yield new Uint8Array(3 * 1024 * 1024);
      throw new Error('connection reset');
    }
    await expect(writeSummed(Readable.from(failing()), join(d, 'broken'))).rejects.toThrow('connection reset');
    const stop = new AbortController();
    async function* endless() {
      for (let i = 0; ; i++) {
        if (i === 40) stop.abort(new Error('pilot stopping'));
        yield new Uint8Array(64 * 1024);
        await new Promise((r) => setImmediate(r));
      }
    }
    const source = Readable.from(endless());
    await expect(writeSummed(source, join(d, 'stopped'), stop.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(source.destroyed).toBe(true);
  });

  it('never replaces a file, and stops with an AbortError on the signal', async () => {
    const d = await dir();
    await writeFile(join(d, 'there'), 'keep');
    await expect(writeSummed((async function* () {})(), join(d, 'there'))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(join(d, 'there'), 'utf8')).toBe('keep');
    const stop = new AbortController();
    async function* endless() {
      for (;;) {
        stop.abort(new Error('pilot stopping'));
        yield new Uint8Array(1024);
      }
    }
    await expect(writeSummed(endless(), join(d, 'stopped'), stop.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('holds a subprocess stdout from the start: nothing flows away while the file is being opened', async () => {
    // execa (buffer: false) resumes a stdout that nobody reads after one setImmediate; the pilot
    // opens the file first. Without the hold, the first pieces were lost (xrdcp downloads then
    // failed their checksum under load).
    const data = randomBytes(4 * 1024 * 1024);
    const dest = join(await dir(), 'held.bin');
    const like = new PassThrough();
    like.end(data);
    void nextLoop().then(() => {
      if (like.readableFlowing === null) like.resume();
    });
    expect(await writeSummed(like, dest)).toEqual({ size: data.length, adler32: adler32Hex(adler32(data)) });
    // And through execa itself, as the root:// download runs xrdcp.
    const file = join(await dir(), 'source.bin');
    await writeFile(file, data);
    for (let i = 0; i < 3; i++) {
      const out = join(await dir(), `cat-${i}.bin`);
      const child = execa('cat', [file], { stdin: 'ignore', buffer: { stdout: false, stderr: true }, reject: false });
      expect(await writeSummed(child.stdout, out)).toEqual({ size: data.length, adler32: adler32Hex(adler32(data)) });
      expect((await child).exitCode).toBe(0);
    }
  });
});

/** file:// storage: an SE that is a local (or POSIX-mounted) directory. */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Adler32 } from '../adler32.js';
import { asDataError } from '../errors.js';
import type { StorageProtocol, TransferOptions, TransferResult } from './transfer.js';

/**
 * A pass-through stream that sums what flows through it (Adler-32, four bytes at a time: see
 * adler32.ts), synchronously on the chunk's way: nothing is held, so memory stays bounded
 * whatever the size. Not a stored (level 0) zlib deflate whose trailer gives the sum: that copies
 * every byte once more (docs/decisions/measurements.md).
 */
export function summing(): { stream: Transform; result: () => TransferResult } {
  const sum = new Adler32();
  let size = 0;
  let adler: string | null = null;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      sum.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      adler = sum.hex();
      done();
    },
  });
  return {
    stream,
    result: () => {
      if (adler === null) throw new Error('summing: result read before the stream ended');
      return { size, adler32: adler };
    },
  };
}

async function copy(from: string, to: string, options: TransferOptions, exclusive: boolean): Promise<TransferResult> {
  const s = summing();
  try {
    await pipeline(createReadStream(from), s.stream, createWriteStream(to, { flags: exclusive ? 'wx' : 'w', mode: 0o644 }), {
      signal: options.signal,
    });
    return s.result();
  } catch (error) {
    await rm(to, { force: true });
    throw asDataError(error);
  }
}

export const fileProtocol: StorageProtocol = {
  async download(url, dest, options) {
    return copy(fileURLToPath(url), dest, options, true);
  },
  async upload(source, url, options) {
    const target = fileURLToPath(url);
    await mkdir(dirname(target), { recursive: true });
    // Written beside the target and renamed: a reader never sees half a file.
    const partial = `${target}.part-${process.pid}`;
    const result = await copy(source, partial, options, false);
    await rename(partial, target);
    return result;
  },
};

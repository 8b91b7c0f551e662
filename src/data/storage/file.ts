/** file:// storage: an SE that is a local (or POSIX-mounted) directory. */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createDeflate } from 'node:zlib';
import { asDataError } from '../errors.js';
import type { StorageProtocol, TransferOptions, TransferResult } from './transfer.js';

/**
 * A pass-through stream that sums what flows through it. The Adler-32 is zlib's: the bytes also go
 * through a stored (level 0) deflate on the thread pool, whose zlib trailer is the Adler-32 of its
 * input; zlib's SIMD sum is several times faster than one in JavaScript and runs beside the I/O.
 * The deflate's output is dropped as it comes (only its last four bytes are kept), and a chunk is
 * passed on only once zlib has taken it, so memory stays bounded whatever the size.
 */
export function summing(): { stream: Transform; result: () => TransferResult } {
  const deflate = createDeflate({ level: 0 });
  let tail: Buffer = Buffer.alloc(0);
  deflate.on('data', (out: Buffer) => {
    tail = out.length >= 4 ? out.subarray(out.length - 4) : Buffer.concat([tail, out]).subarray(-4);
  });
  let size = 0;
  let adler: string | null = null;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (deflate.write(chunk)) done(null, chunk);
      else deflate.once('drain', () => done(null, chunk));
    },
    flush(done) {
      deflate.once('end', () => {
        adler = tail.readUInt32BE(0).toString(16).padStart(8, '0');
        done();
      });
      deflate.once('error', done);
      deflate.end();
    },
    destroy(error, done) {
      deflate.destroy();
      done(error);
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

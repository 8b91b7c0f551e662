import { Transform, type TransformCallback } from 'node:stream';
import bitIterator from 'unbzip2-stream/lib/bit_iterator.js';
import bzip2 from 'unbzip2-stream/lib/bzip2.js';

/**
 * A streaming bzip2 decoder with bounded memory, built on unbzip2-stream's block decoder.
 *
 * unbzip2-stream's own stream collects each decoded block in a JS array of numbers: one bzip2
 * block can expand to ~46 MB, so a tiny file made it take gigabytes of memory before any limit
 * could look at the output (the figure: docs/decisions/measurements.md). Here decoded bytes go
 * straight into 256 KiB Buffers pushed downstream, and decoding stops as soon as
 * `maxOutputBytes` is passed.
 */
const OUT_CHUNK = 256 * 1024;
/** Blocks decode synchronously, so a whole compressed block must be buffered first: its worst size. */
const blockBytesNeeded = (level: number) => (level ? 25_000 + 100_000 * level : 4);

export interface Bzip2DecoderOptions {
  maxOutputBytes: number;
  /** The error to fail with when the output passes maxOutputBytes. */
  onLimit: () => Error;
}

export function createBzip2Decoder(options: Bzip2DecoderOptions): Transform {
  const queue: Buffer[] = [];
  let queuedBytes = 0;
  let reader: ReturnType<typeof bitIterator> | undefined;
  let level = 0;
  let streamCRC: number | null = null;
  let blockBuffer: Int32Array | undefined;
  let out = Buffer.allocUnsafe(OUT_CHUNK);
  let outLength = 0;
  let total = 0;

  const transform = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      queue.push(chunk);
      queuedBytes += chunk.length;
      reader ??= bitIterator(() => queue.shift());
      guarded(done, () => {
        while (queuedBytes - reader!.bytesRead + 1 >= blockBytesNeeded(level)) step();
      });
    },
    flush(done: TransformCallback) {
      guarded(done, () => {
        while (reader && queuedBytes > reader.bytesRead) step();
        if (streamCRC !== null) throw new Error('bzip2 stream ended before its end-of-stream marker');
      });
    },
  });

  function guarded(done: TransformCallback, work: () => void): void {
    try {
      work();
      done();
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
    }
  }

  const emit = (byte: number) => {
    out[outLength++] = byte;
    if (outLength === OUT_CHUNK) flushOut();
    if (++total > options.maxOutputBytes) throw options.onLimit();
  };

  function flushOut(): void {
    if (outLength === 0) return;
    transform.push(out.subarray(0, outLength));
    out = Buffer.allocUnsafe(OUT_CHUNK);
    outLength = 0;
  }

  function step(): void {
    if (!level) {
      level = bzip2.header(reader!);
      streamCRC = 0;
      return;
    }
    const size = 100_000 * level;
    if (!blockBuffer || blockBuffer.length !== size) blockBuffer = new Int32Array(size);
    streamCRC = bzip2.decompress(reader!, emit, blockBuffer, size, streamCRC);
    flushOut();
    if (streamCRC === null) level = 0; // end of this stream; another may follow (pbzip2)
  }

  return transform;
}

import { createReadStream, statSync } from 'node:fs';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { createBzip2Decoder } from './bzip2-decoder.js';
import { sandboxChunkBytes } from './chunk-size.js';
import { SandboxError } from './errors.js';
import { decodeZstdFrames } from './zstd-frames.js';
import type { SandboxFormat } from './format.js';

export interface DecompressedStream {
  /** Plain tar bytes; decoder failures surface as SandboxError 'corrupt'. */
  chunks: AsyncIterable<Buffer>;
  /** Stop reading and release the file, whether or not everything was consumed. */
  close(): void;
}

const DECODER_NAME: Record<SandboxFormat, string> = {
  'tar.zst': 'zstd',
  'tar.bz2': 'bzip2',
  'tar.gz': 'gzip',
  tar: 'tar',
};

/** The archive file decompressed as a stream: never more than a decoder's window in memory. */

export interface DecodeBudget {
  /** Most decoded bytes before `onLimit()` is thrown from inside the decoder. */
  maxOutputBytes: number;
  onLimit: () => Error;
}

/**
 * zstd and gzip hand out bounded chunks by themselves; bzip2 decodes whole blocks (up to ~46 MB)
 * at once, so its decoder takes the budget and stops mid-block.
 */
export function openDecompressed(file: string, format: SandboxFormat, budget: DecodeBudget): DecompressedStream {
  // Sized from the archive: a tiny archive gets small buffers (chunk-size.ts).
  const chunkBytes = sandboxChunkBytes(fileSize(file));
  const input = createReadStream(file, { highWaterMark: chunkBytes });
  let output: Readable;
  if (format === 'tar') {
    output = input;
  } else if (format === 'tar.zst') {
    // Every frame, skippable ones skipped (zstd-frames.ts): Node's decoder alone stops after the first.
    const out = new PassThrough();
    pipeline(
      input,
      (source: AsyncIterable<Buffer>) => decodeZstdFrames(source, chunkBytes),
      out,
      () => {
        // errors reach the consumer through `out`
      },
    );
    output = out;
  } else {
    const decoder = format === 'tar.gz' ? zlib.createGunzip({ chunkSize: chunkBytes }) : createBzip2Decoder(budget);
    const out = new PassThrough();
    pipeline(input, decoder, out, () => {
      // errors reach the consumer through `out`; nothing else to do here
    });
    output = out;
  }
  return {
    chunks: decoded(output, DECODER_NAME[format]),
    close() {
      output.destroy();
      input.destroy();
    },
  };
}

async function* decoded(stream: Readable, decoder: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    if (error instanceof SandboxError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    const code = (error as NodeJS.ErrnoException).code;
    if (code && /^E[A-Z]+$/.test(code) && !code.startsWith('ERR_')) {
      throw new SandboxError('io', `cannot read archive: ${detail}`, { cause: error });
    }
    // The bzip2 decoder's own messages are jokes or TypeErrors on truncated input: keep them as detail only.
    throw new SandboxError('corrupt', `${decoder} stream is corrupt or truncated (decoder: ${detail})`, { cause: error });
  }
}

function fileSize(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined; // the read stream reports the problem
  }
}

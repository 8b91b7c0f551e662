import { createReadStream } from 'node:fs';
import { PassThrough, Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import unbzip2Stream from 'unbzip2-stream';
import { SandboxError } from './errors.js';
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
export function openDecompressed(file: string, format: SandboxFormat): DecompressedStream {
  const input = createReadStream(file);
  let output: Readable;
  if (format === 'tar') {
    output = input;
  } else if (format === 'tar.bz2') {
    const decoder = unbzip2Stream();
    output = new Readable().wrap(decoder);
    input.on('error', (error) => output.destroy(error));
    input.pipe(decoder);
  } else {
    const decoder = format === 'tar.zst' ? zlib.createZstdDecompress() : zlib.createGunzip();
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
    throw new SandboxError('corrupt', `${decoder} stream is corrupt: ${detail}`, { cause: error });
  }
}

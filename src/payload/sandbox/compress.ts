import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { PassThrough, Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { execa } from 'execa';
import { HashingCounter } from './checksum.js';
import { SandboxError } from './errors.js';
import { sandboxChunkBytes } from './chunk-size.js';
import type { SandboxFormat } from './format.js';

export interface WrittenArchive {
  path: string;
  sha256: string;
  size: number;
  format: SandboxFormat;
}

/** bzip2 has no maintained JS encoder; the CLI is on every EL/Debian node. Bounded all the same. */
const BZIP2_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Compress a tar stream into `outFile` (mode 0600), hashing and counting the compressed bytes on
 * their way to disk: one pass, no second read for the sha256 DiracX asks for. On failure the
 * partial file is removed. `inputBytes` (the files' total size, when known) sizes the buffers.
 */
export async function writeCompressed(
  tar: AsyncIterable<Buffer>,
  outFile: string,
  format: SandboxFormat,
  inputBytes?: number,
): Promise<WrittenArchive> {
  const hasher = new HashingCounter();
  try {
    if (format === 'tar.bz2') await writeBzip2(tar, hasher, outFile);
    else
      await pipeline(
        Readable.from(tar, { objectMode: false }),
        compressor(format, sandboxChunkBytes(inputBytes)),
        hasher,
        createWriteStream(outFile, { mode: 0o600 }),
      );
  } catch (error) {
    await rm(outFile, { force: true });
    if (error instanceof SandboxError) throw error;
    throw new SandboxError('io', `cannot write ${outFile}: ${(error as Error).message}`, { cause: error });
  }
  return { path: outFile, sha256: hasher.digestHex(), size: hasher.bytes, format };
}

function compressor(format: Exclude<SandboxFormat, 'tar.bz2'>, chunkSize: number): Transform {
  switch (format) {
    case 'tar.zst':
      // A frame checksum, as the zstd CLI writes, so a damaged download fails in the decoder.
      return zlib.createZstdCompress({
        chunkSize,
        params: { [zlib.constants.ZSTD_c_compressionLevel]: 3, [zlib.constants.ZSTD_c_checksumFlag]: 1 },
      });
    case 'tar.gz':
      return zlib.createGzip({ chunkSize });
    case 'tar':
      return new PassThrough();
  }
}

async function writeBzip2(tar: AsyncIterable<Buffer>, hasher: HashingCounter, outFile: string): Promise<void> {
  const child = execa('bzip2', ['-c', '-9'], { buffer: false, timeout: BZIP2_TIMEOUT_MS, stderr: 'ignore' });
  try {
    await Promise.all([
      pipeline(Readable.from(tar, { objectMode: false }), child.stdin),
      pipeline(child.stdout, hasher, createWriteStream(outFile, { mode: 0o600 })),
      child,
    ]);
  } catch (error) {
    child.kill();
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SandboxError('unsupported-format', 'writing tar.bz2 needs the bzip2 command, which is not installed', { cause: error });
    }
    throw error;
  }
}

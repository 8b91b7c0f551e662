import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { sandboxChunkBytes } from './chunk-size.js';
import { Transform, type TransformCallback } from 'node:stream';
import { SandboxError } from './errors.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The sha256 hex digest of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  const size = await stat(file).then(
    (s) => s.size,
    () => undefined,
  );
  for await (const chunk of createReadStream(file, { highWaterMark: sandboxChunkBytes(size) })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Refuse a file whose sha256 differs from `expected` (hex, either case). DiracX names sandboxes
 * by this digest, so a mismatch means a corrupted download or a swapped object.
 */
export async function verifySha256(file: string, expected: string): Promise<void> {
  const want = expected.trim().toLowerCase();
  if (!SHA256_HEX.test(want)) {
    throw new SandboxError('checksum', `expected checksum ${JSON.stringify(expected)} is not a sha256 hex digest`);
  }
  const got = await sha256File(file);
  if (got !== want) {
    throw new SandboxError('checksum', `sha256 of ${file} is ${got}, expected ${want}`);
  }
}

/** A pass-through that hashes and counts what flows by, so a writer gets both in the same pass. */
export class HashingCounter extends Transform {
  readonly #hash: Hash = createHash('sha256');
  #bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    done(null, chunk);
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Only once the stream has finished. */
  digestHex(): string {
    return this.#hash.digest('hex');
  }
}

/**
 * The sha256 a DiracX sandbox PFN names (`SB:SandboxSE|/S3/<bucket>/<vo>/<group>/<user>/sha256:<hex>.tar.zst`),
 * to pass as `expectedSha256`; null for PFNs without one (legacy DIRAC names by md5).
 */
export function sha256FromPfn(pfn: string): string | null {
  const match = /\/sha256:([0-9a-fA-F]{64})\.tar\.(?:zst|bz2)(?:#.*)?$/.exec(pfn);
  return match ? match[1]!.toLowerCase() : null;
}

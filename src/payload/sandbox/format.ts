import { open } from 'node:fs/promises';
import { SandboxError } from './errors.js';
import { isSkippableMagic } from './zstd-frames.js';

/** Archive formats the pilot reads. DiracX stores tar.zst and tar.bz2; the others cover demo and legacy jobs. */
export type SandboxFormat = 'tar.zst' | 'tar.bz2' | 'tar.gz' | 'tar';

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const BZIP2_MAGIC = Buffer.from('BZh', 'latin1');
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
/** Bytes needed to tell every format apart: one tar header block. */
export const SNIFF_BYTES = 512;

/**
 * The format of an archive from its first bytes, never its name (DiracX names sandboxes by hash,
 * and a renamed file must not change how it is read).
 */
export function detectFormat(head: Buffer): SandboxFormat {
  if (startsWith(head, ZSTD_MAGIC)) return 'tar.zst';
  // A skippable frame first (pzstd writes one before every frame; others carry metadata in one) is zstd too.
  if (head.length >= 4 && isSkippableMagic(head.readUInt32LE(0))) return 'tar.zst';
  if (startsWith(head, BZIP2_MAGIC) && head.length > 3 && head[3]! >= 0x31 && head[3]! <= 0x39) return 'tar.bz2';
  if (startsWith(head, GZIP_MAGIC)) return 'tar.gz';
  if (startsWith(head, XZ_MAGIC)) {
    throw new SandboxError('unsupported-format', 'archive is xz-compressed; sandboxes are tar.zst, tar.bz2, tar.gz or tar');
  }
  if (head.length >= 512 && looksLikeTarHeader(head.subarray(0, 512))) return 'tar';
  if (head.length === 0) throw new SandboxError('unsupported-format', 'archive is empty');
  throw new SandboxError(
    'unsupported-format',
    `archive starts with bytes ${head.subarray(0, 8).toString('hex')}: not tar.zst, tar.bz2, tar.gz or tar`,
  );
}

export async function detectFileFormat(file: string): Promise<SandboxFormat> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return detectFormat(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

function startsWith(buffer: Buffer, prefix: Buffer): boolean {
  return buffer.length >= prefix.length && buffer.subarray(0, prefix.length).equals(prefix);
}

/** ustar magic, or (old v7 archives) a header whose checksum adds up. */
function looksLikeTarHeader(block: Buffer): boolean {
  if (block.subarray(257, 262).toString('latin1') === 'ustar') return true;
  const stored = parseInt(
    block
      .subarray(148, 156)
      .toString('latin1')
      .replace(/[\0 ]+$/, '')
      .trim(),
    8,
  );
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === stored && block[0] !== 0;
}

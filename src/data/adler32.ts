/**
 * Adler-32 as DIRAC computes, prints and compares it (Core/Utilities/Adler.py over zlib): the
 * checksum the DIRAC File Catalog stores for every file, checked here on each download and
 * computed for each upload. Streaming: one object per file, fed chunk by chunk.
 */
import { open } from 'node:fs/promises';

const MOD = 65521;
/** Largest n such that 255·n·(n+1)/2 + (n+1)·(MOD−1) < 2^32 (zlib's NMAX): sums stay exact between reductions. */
const NMAX = 5552;

export class Adler32 {
  private a = 1;
  private b = 0;

  update(chunk: Uint8Array): this {
    let { a, b } = this;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const end = Math.min(n, i + NMAX);
      for (; i < end; i++) {
        a += chunk[i]!;
        b += a;
      }
      a %= MOD;
      b %= MOD;
    }
    this.a = a;
    this.b = b;
    return this;
  }

  /** The checksum as an unsigned 32-bit integer. */
  value(): number {
    return ((this.b << 16) | this.a) >>> 0;
  }

  /** Eight lower-case hex digits, the form this pilot writes and compares. */
  hex(): string {
    return adler32Hex(this.value());
  }
}

export function adler32(data: Uint8Array): number {
  return new Adler32().update(data).value();
}

/** Zero-padded to eight lower-case hex digits. */
export function adler32Hex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

/**
 * DIRAC's intAdlerToHex: `hex(n & 0xffffffff)` with the `x` replaced by four zeros, last eight
 * characters. Values below 0x1000 therefore come out shorter than eight digits ("000001" for the
 * empty file). Used only where the pilot must write a checksum exactly as DIRAC would.
 */
export function diracAdlerHex(value: number): string {
  const digits = (value >>> 0).toString(16);
  return `00000${digits}`.slice(-8);
}

/**
 * DIRAC's hexAdlerToInt: lower-cased, an `l` suffix dropped, the last eight characters, `x` read
 * as `0`, parsed as hex. `negative` reads it as DIRAC does with pos=False (two's complement of the
 * negated value). Null where DIRAC returns False (not hex).
 */
export function parseAdler32(text: string | number, negative = false): number | null {
  if (typeof text === 'number') return Number.isInteger(text) ? Number(BigInt.asUintN(32, BigInt(text))) : null;
  if (text === 'False' || text === '-False') return null;
  let digits = text.toLowerCase().replaceAll('l', '').slice(-8).replaceAll('x', '0');
  if (negative) digits = `-${digits}`;
  // Python's int(s, 16) accepts an optional sign, surrounding whitespace and underscores between digits.
  const m = /^\s*([+-]?)((?:[0-9a-f](?:_?[0-9a-f])*))\s*$/.exec(digits);
  if (!m) return null;
  const magnitude = BigInt(`0x${m[2]!.replaceAll('_', '')}`);
  return Number(BigInt.asUintN(32, m[1] === '-' ? -magnitude : magnitude));
}

/**
 * Whether two checksums agree, as DIRAC's compareAdler decides for readable values (each value
 * also matches the negated reading of the other). Unlike DIRAC, a value that is not hex matches
 * nothing: DIRAC's version calls two unreadable checksums equal, which would let a corrupt file
 * through when the catalog holds garbage.
 */
export function sameAdler32(first: string | number, second: string | number): boolean {
  const a = [parseAdler32(first), parseAdler32(first, true)].filter((v): v is number => v !== null);
  const b = new Set([parseAdler32(second), parseAdler32(second, true)].filter((v): v is number => v !== null));
  return a.some((v) => b.has(v));
}

/** Adler-32 of a file, read in 1 MiB chunks; stops early when the signal aborts. */
export async function fileAdler32(path: string, signal?: AbortSignal): Promise<{ adler32: number; size: number }> {
  const handle = await open(path, 'r');
  try {
    const sum = new Adler32();
    const buffer = Buffer.allocUnsafe(1 << 20);
    let size = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      sum.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { adler32: sum.value(), size };
  } finally {
    await handle.close();
  }
}

/**
 * Adler-32 as DIRAC computes, prints and compares it (Core/Utilities/Adler.py over zlib): the
 * checksum the DIRAC File Catalog stores for every file, checked here on each download and
 * computed for each upload. Streaming: one object per file, fed chunk by chunk.
 */
import { open } from 'node:fs/promises';
import { SIMD_DATA_OFFSET, SIMD_MAX_VECTORS, simdAdler } from './adler32-simd.js';

const MOD = 65521;
/** Largest n such that 255·n·(n+1)/2 + (n+1)·(MOD−1) < 2^32 (zlib's NMAX): sums stay exact between reductions. */
const NMAX = 5552;
/**
 * Words per SWAR group: a group's prefix sums of byte lanes (at most 255·W·(W+1)/2) must fit the
 * 16 bits of a lane: W ≤ 22.
 */
const GROUP_WORDS = 20;
/** Groups between reductions: a and b stay far below 2^53 (exact as doubles) in between. */
const GROUPS_PER_REDUCTION = 8;
/** The SWAR path reads bytes through 32-bit words, least significant byte first. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The byte-by-byte definition, for heads and tails and for big-endian machines. */
function bytewise(chunk: Uint8Array, from: number, to: number, a: number, b: number): [number, number] {
  let i = from;
  while (i < to) {
    const end = Math.min(to, i + NMAX);
    for (; i < end; i++) {
      a += chunk[i]!;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return [a, b];
}

export class Adler32 {
  private a = 1;
  private b = 0;

  /** `simd: false` keeps to JavaScript (tests check both ways against the definition). */
  constructor(private readonly options: { simd?: boolean } = {}) {}

  /**
   * Four bytes at a time (SWAR; why, with figures: docs/decisions/measurements.md): each 32-bit
   * word is split into two 16-bit lanes of even and odd bytes; per group of words, the lane sums
   * give a's increase and their running sums give b's (byte j of a 4·W-byte group weighs
   * 4·(W−k) − j in b, k its word).
   */
  update(chunk: Uint8Array): this {
    let { a, b } = this;
    const n = chunk.length;
    let i = 0;
    const simd = n >= 64 && this.options.simd !== false ? simdAdler() : null;
    if (simd) {
      // WebAssembly SIMD (adler32-simd.ts): the chunk copied in, 32 KiB at a time, then the three
      // vectors of results folded into a and b here.
      const lanes = simd.lanes;
      while (n - i >= 16) {
        const vectors = Math.min((n - i) >>> 4, SIMD_MAX_VECTORS);
        simd.memory.set(chunk.subarray(i, i + 16 * vectors), SIMD_DATA_OFFSET);
        simd.block(SIMD_DATA_OFFSET, vectors);
        const sums = lanes[0]! + lanes[1]! + lanes[2]! + lanes[3]!;
        const runs = lanes[4]! + lanes[5]! + lanes[6]! + lanes[7]!;
        const weighted = lanes[8]! + lanes[9]! + lanes[10]! + lanes[11]!;
        b = (b + 16 * vectors * a + 16 * runs + weighted) % MOD;
        a = (a + sums) % MOD;
        i += 16 * vectors;
      }
    } else if (LITTLE_ENDIAN && n >= 4 * GROUP_WORDS) {
      const head = (4 - (chunk.byteOffset % 4)) % 4;
      [a, b] = bytewise(chunk, 0, head, a, b);
      i = head;
      const words = new Uint32Array(chunk.buffer, chunk.byteOffset + head, (n - head) >>> 2);
      const groups = Math.floor(words.length / GROUP_WORDS);
      let k = 0;
      for (let g = 0; g < groups; g++) {
        let even = 0;
        let odd = 0;
        let evenRuns = 0;
        let oddRuns = 0;
        for (const end = k + GROUP_WORDS; k < end; k++) {
          const w = words[k]!;
          even = (even + (w & 0x00ff00ff)) | 0;
          odd = (odd + ((w >>> 8) & 0x00ff00ff)) | 0;
          evenRuns = (evenRuns + even) | 0;
          oddRuns = (oddRuns + odd) | 0;
        }
        const lane1 = odd & 0xffff;
        const lane2 = even >>> 16;
        const lane3 = odd >>> 16;
        const runs = (evenRuns & 0xffff) + (evenRuns >>> 16) + (oddRuns & 0xffff) + (oddRuns >>> 16);
        b += 4 * GROUP_WORDS * a + 4 * runs - (lane1 + 2 * lane2 + 3 * lane3);
        a += (even & 0xffff) + lane1 + lane2 + lane3;
        if ((g + 1) % GROUPS_PER_REDUCTION === 0) {
          a %= MOD;
          b %= MOD;
        }
      }
      a %= MOD;
      b %= MOD;
      i += 4 * k;
    }
    [a, b] = bytewise(chunk, i, n, a, b);
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

/**
 * The Adler-32 of two pieces of data one after the other, from the sums of each and the second's
 * length (what zlib's adler32_combine gives): the parts of a download fetched side by side are
 * summed separately. Each piece's `a` starts at 1, so the pair's `a` is a1 + a2 − 1; each byte of
 * the second piece adds a1 − 1 more to `b` than it did alone.
 */
export function combineAdler32(first: number, second: number, secondLength: number): number {
  const a1 = first & 0xffff;
  const b1 = first >>> 16;
  const a2 = second & 0xffff;
  const b2 = second >>> 16;
  // Both factors are below MOD, so the product stays below 2^32, exact as a double.
  const shift = ((secondLength % MOD) * ((a1 + MOD - 1) % MOD)) % MOD;
  const a = (a1 + a2 + MOD - 1) % MOD;
  const b = (b1 + b2 + shift) % MOD;
  return ((b << 16) | a) >>> 0;
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

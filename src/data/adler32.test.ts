import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adler32, adler32, adler32Hex, combineAdler32, diracAdlerHex, fileAdler32, parseAdler32, sameAdler32 } from './adler32.js';
import { simdAdler } from './adler32-simd.js';

/** Recorded from DIRAC's own Adler.py (tests/fixtures/dirac-data-vectors/gen_adler.py). */
const vectors = JSON.parse(readFileSync(new URL('../../tests/fixtures/dirac-data-vectors/adler32.json', import.meta.url), 'utf8')) as {
  files: { name: string; size: number; fileAdler: string }[];
  intAdlerToHex: { input: number; intAdlerToHex: string }[];
  hexAdlerToInt: { input: string; pos: number | false; neg: number | false }[];
  compareAdler: { a: string; b: string; compareAdler: boolean }[];
};

function content(name: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const m = /^pattern-.*$/.test(name) ? (name.endsWith('+17') ? 3 : 7) : -1;
  for (let i = 0; i < size; i++) {
    if (m >= 0) out[i] = (i * 31 + m) & 0xff;
    else if (name.startsWith('ff-')) out[i] = 0xff;
    else if (name.startsWith('zeros')) out[i] = 0;
    else out[i] = name.charCodeAt(i);
  }
  return out;
}

describe('Adler-32 against DIRAC', () => {
  it.each(vectors.files)('fileAdler of $name ($size bytes)', async ({ name, size, fileAdler }) => {
    const data = content(name, size);
    expect(diracAdlerHex(adler32(data))).toBe(fileAdler);
    // Fed in odd-sized pieces, the streaming sum is the same.
    const sum = new Adler32();
    for (let i = 0; i < data.length; i += 7919) sum.update(data.subarray(i, i + 7919));
    expect(sameAdler32(sum.hex(), fileAdler)).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'adler-'));
    try {
      await writeFile(join(dir, 'f'), data);
      const fromFile = await fileAdler32(join(dir, 'f'));
      expect(fromFile).toEqual({ adler32: adler32(data), size });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(vectors.intAdlerToHex)('intAdlerToHex($input)', ({ input, intAdlerToHex }) => {
    expect(diracAdlerHex(Number(BigInt.asUintN(32, BigInt(input))))).toBe(intAdlerToHex);
  });

  it.each(vectors.hexAdlerToInt)('hexAdlerToInt($input)', ({ input, pos, neg }) => {
    expect(parseAdler32(input)).toBe(pos === false ? null : pos);
    expect(parseAdler32(input, true)).toBe(neg === false ? null : neg);
  });

  it.each(vectors.compareAdler)('compareAdler($a, $b)', ({ a, b, compareAdler }) => {
    const readable = parseAdler32(a) !== null && parseAdler32(b) !== null;
    // Where both are readable the pilot agrees with DIRAC; unreadable values never match here.
    expect(sameAdler32(a, b)).toBe(readable ? compareAdler : false);
  });

  it('pads its own hex to eight digits', () => {
    expect(adler32Hex(1)).toBe('00000001');
    expect(new Adler32().hex()).toBe('00000001');
  });
});

describe('Adler-32 four bytes at a time', () => {
  /** The definition, one byte and one modulo at a time. */
  const reference = (chunks: Uint8Array[]): number => {
    let a = 1;
    let b = 0;
    for (const c of chunks) for (const x of c) [a, b] = [(a + x) % 65521, (b + ((a + x) % 65521)) % 65521];
    return ((b << 16) | a) >>> 0;
  };
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };

  it.each([
    ['WebAssembly SIMD', { simd: true }],
    ['JavaScript, four bytes at a time', { simd: false }],
  ])('%s: agrees with the definition on chunks of any length at any byte offset, 0xff runs included', (_how, how) => {
    if (how.simd) expect(simdAdler(), 'WebAssembly SIMD is available in Node 22').not.toBeNull();
    for (let t = 0; t < 300; t++) {
      const size = random(20_000);
      const backing = new Uint8Array(size + 8);
      for (let i = 0; i < backing.length; i++) backing[i] = t % 3 === 0 ? 0xff : random(256);
      const offset = random(8);
      const data = backing.subarray(offset, offset + size);
      const cuts = [0, random(size + 1), random(size + 1), size].sort((x, y) => x - y);
      const chunks = cuts.slice(1).map((end, i) => data.subarray(cuts[i], end));
      const sum = new Adler32(how);
      for (const c of chunks) sum.update(c);
      expect(sum.value()).toBe(reference(chunks));
    }
  });

  it.each([true, false])('keeps its sums exact over one 16 MiB chunk of 0xff (the worst case for overflow), SIMD %s', (simd) => {
    // Without its reductions inside a chunk, b would pass 2^53 here and lose exactness.
    const ones = new Uint8Array(16 * 1024 * 1024 + 3).fill(0xff);
    let a = 1;
    let b = 0;
    for (let i = 1; i < ones.length; i++) {
      a = (a + 0xff) % 65521;
      b = (b + a) % 65521;
    }
    expect(new Adler32({ simd }).update(ones.subarray(1)).value()).toBe(((b << 16) | a) >>> 0);
  });
});

describe('Adler-32 of two parts combined', () => {
  // A deterministic byte pattern, so a failure names a reproducible split.
  const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 2_654_435_761) >>> 24);
  const ones = new Uint8Array(200_000).fill(0xff);

  it.each([
    ['empty first part', data, 0],
    ['empty second part', data, data.length],
    ['one byte first', data, 1],
    ['second part longer than the modulus', data, 70_000],
    ['halves', data, 150_000],
    ['bytes of 0xff (sums wrap the most)', ones, 66_000],
  ])('%s equals the sum of the whole', (_name, bytes, at) => {
    const first = adler32(bytes.subarray(0, at));
    const second = adler32(bytes.subarray(at));
    expect(adler32Hex(combineAdler32(first, second, bytes.length - at))).toBe(adler32Hex(adler32(bytes)));
  });

  it('folds over several parts', () => {
    const cuts = [0, 1000, 65_521, 131_042, 250_000, data.length];
    let sum = adler32(new Uint8Array(0));
    for (let i = 1; i < cuts.length; i++) sum = combineAdler32(sum, adler32(data.subarray(cuts[i - 1], cuts[i])), cuts[i]! - cuts[i - 1]!);
    expect(sum).toBe(adler32(data));
  });
});

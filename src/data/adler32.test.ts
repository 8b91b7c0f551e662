import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adler32, adler32, adler32Hex, diracAdlerHex, fileAdler32, parseAdler32, sameAdler32 } from './adler32.js';

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

/** Golden tests: JEncode and DEncode against jencode.json / dencode.json, produced by DIRAC itself. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CodecError, ddecode, dencode, jdecode, jencode } from '../../src/dirac/codec/index.js';
import { fromTagged, toTagged, type Tagged } from './tagged.js';

interface VectorCase {
  input: { value?: Tagged; encoded?: string; encoded_hex?: string };
  output: {
    encoded?: string | null;
    encoded_hex?: string | null;
    encode_error?: { exception: string; message: string };
    decoded?: Tagged;
    decode_length?: number;
    decode_error?: { exception: string; message: string };
    returned?: Tagged;
  };
  note: string;
}

const load = (name: string): VectorCase[] =>
  JSON.parse(readFileSync(new URL(`../fixtures/dirac-legacy-vectors/${name}`, import.meta.url), 'utf8')) as VectorCase[];

describe('JEncode golden vectors', () => {
  for (const [i, c] of load('jencode.json').entries()) {
    it(`${i}: ${c.note}`, () => {
      let checks = 0;
      if (c.input.value !== undefined || 'value' in c.input) {
        const value = fromTagged(c.input.value ?? null);
        if (c.output.encode_error) {
          expect(() => jencode(value)).toThrow(CodecError);
          return;
        }
        expect(jencode(value)).toBe(c.output.encoded);
        checks++;
      }
      const encoded = c.input.encoded ?? c.output.encoded!;
      if (c.output.decode_error) {
        expect(() => jdecode(encoded)).toThrow(CodecError);
        return;
      }
      const decoded = jdecode(encoded, { exact: true });
      expect(toTagged(decoded.value)).toEqual(c.output.decoded);
      expect(decoded.length).toBe(c.output.decode_length);
      expect(checks + 1).toBeGreaterThan(0);
    });
  }
});

describe('DEncode golden vectors', () => {
  for (const [i, c] of load('dencode.json').entries()) {
    it(`${i}: ${c.note}`, () => {
      if ('value' in c.input) {
        const value = fromTagged(c.input.value ?? null);
        if (c.output.encode_error) {
          expect(() => dencode(value)).toThrow(CodecError);
          return;
        }
        expect(dencode(value).toString('hex')).toBe(c.output.encoded_hex);
      }
      const hex = c.input.encoded_hex ?? c.output.encoded_hex!;
      const bytes = Buffer.from(hex, 'hex');
      if (c.output.decode_error || c.output.returned !== undefined) {
        // DIRAC raises KeyError here, or hands back an empty input unchanged: we say what is wrong.
        expect(() => ddecode(bytes)).toThrow(CodecError);
        return;
      }
      const decoded = ddecode(bytes, { exact: true });
      expect(toTagged(decoded.value)).toEqual(c.output.decoded);
      expect(decoded.end).toBe(c.output.decode_length);
    });
  }
});

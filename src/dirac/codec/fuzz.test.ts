/** Hostile input never crashes or hangs the decoders: every failure is the module's own one-line error. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CfgError, parseCfg } from '../cs/cfg.js';
import { FrameError, FrameReader } from '../dips/frames.js';
import { CodecError, ddecode, dencode, jdecode } from './index.js';

const expectOnly = (kind: new (...args: never[]) => Error, run: () => unknown): void => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(kind);
    expect((error as Error).message).not.toContain('\n');
  }
};

describe('decoders on arbitrary input', () => {
  it('DEncode', () => {
    const bytes = fc.uint8Array({ maxLength: 64 });
    const tagged = fc
      .array(fc.constantFrom(...'ilIftdbnsuze0123456789:-+.'.split('')), { maxLength: 40 })
      .map((a) => Buffer.from(a.join('')));
    fc.assert(
      fc.property(fc.oneof(bytes, tagged), (data) => expectOnly(CodecError, () => ddecode(data))),
      { numRuns: 2000 },
    );
  });

  it('DEncode round-trips what it encodes', () => {
    // Integers within 2**53 come back as numbers (beyond, as bigint); non-integral doubles as numbers.
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.maxSafeInteger(),
        // Exponent forms decode as mantissa × 10**exp in DIRAC, which is lossy; only plain forms round-trip.
        fc
          .double({ noNaN: true, noDefaultInfinity: true })
          .filter((d) => !Number.isInteger(d) && Math.abs(d) >= 1e-4 && Math.abs(d) < 1e16),
        fc.string(),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        expect(ddecode(dencode(v as never)).value).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('JEncode', () => {
    const text = fc.string({ unit: fc.constantFrom(...'{}[]":,0123456789.eE-+ tfnrualsNIy\\'.split('')), maxLength: 40 });
    fc.assert(
      fc.property(text, (t) => expectOnly(CodecError, () => jdecode(t))),
      { numRuns: 2000 },
    );
  });

  it('DIPS frames', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 8 }), (chunks) => {
        const reader = new FrameReader(1024);
        expectOnly(FrameError, () => chunks.forEach((c) => reader.push(Buffer.from(c))));
      }),
      { numRuns: 1000 },
    );
  });

  it('CFG', () => {
    const text = fc.string({ unit: fc.constantFrom(...'AB{}=+#, \n/x'.split('')), maxLength: 60 });
    fc.assert(
      fc.property(text, (t) => expectOnly(CfgError, () => parseCfg(t))),
      { numRuns: 2000 },
    );
  });
});

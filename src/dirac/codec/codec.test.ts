import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, PyFloat, ddecode, dencode, jdecode, jencode, pythonFloatRepr, type PyValue } from './index.js';

describe('pythonFloatRepr', () => {
  it('matches the forms Python prints', () => {
    expect([1, 0.1, 1e16, 1e15, 1.5e-7, 1e-5, 0.0001, -0.0, 123456789.123, 5e-324, 1e22].map(pythonFloatRepr)).toEqual([
      '1.0',
      '0.1',
      '1e+16',
      '1000000000000000.0',
      '1.5e-07',
      '1e-05',
      '0.0001',
      '-0.0',
      '123456789.123',
      '5e-324',
      '1e+22',
    ]);
  });

  it('always reads back as the same double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Object.is(Number(pythonFloatRepr(x)), x)).toBe(true);
      }),
    );
  });
});

describe('JEncode', () => {
  it('round-trips JSON-like values through the plain decoding', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.string(),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(
          fc.string().filter((k) => !k.startsWith('__')),
          tie('v'),
          { maxKeys: 4 },
        ),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        expect(jdecode(jencode(v as PyValue)).value).toEqual(v);
      }),
    );
  });

  it('keeps CPUTime an int and a float a float', () => {
    expect(jencode({ CPUTime: 86400, Bench: 12.5, Ratio: new PyFloat(2) })).toBe('{"CPUTime": 86400, "Bench": 12.5, "Ratio": 2.0}');
  });

  it('treats __proto__ as an ordinary key', () => {
    const decoded = jdecode('{"__proto__": {"polluted": 1}}').value as Record<string, unknown>;
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('gives one-line errors for bad input', () => {
    expect(() => jdecode('{"a": 1')).toThrow(/JSON: expected ',' or '}' at character 7/);
    expect(() => jdecode('{"__dCls": "dt", "obj": "2024-13-01 00:00:00"}')).toThrow(CodecError);
    expect(() => jdecode('[1] x')).toThrow(/unexpected data after the JSON value/);
    expect(() => jdecode('['.repeat(10000))).toThrow(/nesting too deep/);
  });
});

describe('DEncode', () => {
  it('decodes dicts to plain objects by default', () => {
    const bytes = dencode(
      new Map<number | string, unknown>([
        [123, 'a'],
        ['k', [1, 2]],
      ]) as never,
    );
    expect(ddecode(bytes).value).toEqual({ 123: 'a', k: [1, 2] });
  });

  it('rejects truncated and unknown data with a clear error', () => {
    expect(() => ddecode(Buffer.from('li1e'))).toThrow(/DEncode: unexpected end of data/);
    expect(() => ddecode(Buffer.from('x'))).toThrow(/unknown type code "x" at byte 0/);
    expect(() => ddecode(Buffer.from('i12'))).toThrow(/unterminated integer/);
    expect(() => ddecode(Buffer.from('l'.repeat(5000)))).toThrow(/nesting too deep/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SandboxError } from './errors.js';
import { encodeHeader, encodePaxRecords, encodeRaw, parseHeader, parseNumber, parsePaxRecords } from './tar-header.js';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof SandboxError ? error.reason : 'not-a-sandbox-error';
  }
  return undefined;
}

describe('tar header numbers', () => {
  it('reads octal fields terminated by NUL or space, and empty fields as 0', () => {
    expect(parseNumber(Buffer.from('0000644\0'), 'mode', 'x')).toBe(0o644);
    expect(parseNumber(Buffer.from('  1234 \0'), 'mode', 'x')).toBe(0o1234);
    expect(parseNumber(Buffer.alloc(8), 'mode', 'x')).toBe(0);
  });

  it('reads GNU base-256 sizes and refuses ones past 2^53 or negative', () => {
    const field = Buffer.alloc(12);
    field[0] = 0x80;
    field.writeUIntBE(10 * 1024 ** 3, 6, 6);
    expect(parseNumber(field, 'size', 'x')).toBe(10 * 1024 ** 3);
    const huge = Buffer.alloc(12, 0xff);
    huge[0] = 0x80;
    expect(reasonOf(() => parseNumber(huge, 'size', 'x'))).toBe('too-large');
    expect(reasonOf(() => parseNumber(Buffer.alloc(12, 0xff), 'size', 'x'))).toBe('corrupt');
  });

  it('refuses non-octal digits instead of reading a prefix', () => {
    expect(reasonOf(() => parseNumber(Buffer.from('00000009\0'), 'size', 'x'))).toBe('corrupt');
  });
});

describe('tar header blocks', () => {
  it('round-trips ustar fields, splitting long names into prefix and name', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 ** 33 - 1 }),
        fc.integer({ min: 0, max: 0o7777 }),
        (parts, size, mode) => {
          const name = parts.join('/');
          const block = encodeHeader({ name, mode, size, mtime: 1_700_000_000, typeFlag: '0' });
          if (!block) return Buffer.byteLength(name) > 100; // needs pax: only when it cannot fit
          const header = parseHeader(block, 'test');
          return header.name === name && header.size === size && header.mode === mode && header.type === 'file';
        },
      ),
    );
  });

  it('says when a name needs a pax header', () => {
    expect(encodeHeader({ name: 'x'.repeat(101), mode: 0o644, size: 0, mtime: 0, typeFlag: '0' })).toBeNull();
    expect(encodeHeader({ name: 'a', mode: 0o644, size: 2 ** 34, mtime: 0, typeFlag: '0' })).toBeNull();
  });

  it('refuses a block whose checksum does not add up', () => {
    const block = encodeRaw({ name: 'f', mode: 0o644, size: 1, mtime: 0, typeFlag: '0' });
    block[0] = 'g'.charCodeAt(0);
    expect(reasonOf(() => parseHeader(block, 'test'))).toBe('corrupt');
  });

  it('maps type flags, unknown ones to "other"', () => {
    const typeOf = (flag: string) => parseHeader(encodeRaw({ name: 'f', mode: 0, size: 0, mtime: 0, typeFlag: flag }), 't').type;
    expect(['0', '1', '2', '3', '4', '5', '6', '7', 'x', 'g', 'L', 'K', 'S', 'V'].map(typeOf)).toEqual([
      'file',
      'hardlink',
      'symlink',
      'char-device',
      'block-device',
      'directory',
      'fifo',
      'file',
      'pax',
      'pax-global',
      'gnu-longname',
      'gnu-longlink',
      'other',
      'other',
    ]);
  });
});

describe('pax records', () => {
  it('round-trips any keys and values, including lengths that gain a digit', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z.]{1,12}$/), fc.string({ maxLength: 300 })), (records) => {
        const clean = Object.fromEntries(Object.entries(records).filter(([, v]) => v !== ''));
        expect(Object.fromEntries(parsePaxRecords(encodePaxRecords(clean), 't'))).toEqual(clean);
      }),
    );
    // 9 bytes of body plus one digit would be 10, which has two digits: the length is 11.
    expect(encodePaxRecords({ a: 'bcde' }).toString()).toBe('9 a=bcde\n');
    expect(encodePaxRecords({ a: 'bcdef' }).toString()).toBe('11 a=bcdef\n');
  });

  it('refuses a record whose length does not match', () => {
    expect(reasonOf(() => parsePaxRecords(Buffer.from('30 path=x\n'), 't'))).toBe('corrupt');
    expect(reasonOf(() => parsePaxRecords(Buffer.from('8 path=x\n'), 't'))).toBe('corrupt');
    expect(reasonOf(() => parsePaxRecords(Buffer.from('x path=x\n'), 't'))).toBe('corrupt');
  });
});

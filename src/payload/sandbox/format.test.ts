import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { detectFormat } from './format.js';
import { encodeRaw } from './tar-header.js';
import { SandboxError } from './errors.js';

describe('archive format from magic bytes', () => {
  it('recognises zstd, bzip2, gzip and tar', () => {
    expect(detectFormat(zlib.zstdCompressSync(Buffer.from('x')))).toBe('tar.zst');
    expect(detectFormat(Buffer.from('BZh91AY&SY'))).toBe('tar.bz2');
    expect(detectFormat(zlib.gzipSync(Buffer.from('x')))).toBe('tar.gz');
    expect(detectFormat(encodeRaw({ name: 'f', mode: 0o644, size: 0, mtime: 0, typeFlag: '0' }))).toBe('tar');
  });

  it('names what it got when it cannot read it', () => {
    const refuse = (head: Buffer) => {
      try {
        detectFormat(head);
      } catch (error) {
        return `${(error as SandboxError).reason}: ${(error as Error).message}`;
      }
      return 'accepted';
    };
    expect(refuse(Buffer.from('PK\x03\x04zipfile'))).toMatch(/^unsupported-format: archive starts with bytes 504b0304/);
    expect(refuse(Buffer.from('BZh0'))).toMatch(/^unsupported-format/);
    expect(refuse(Buffer.alloc(0))).toBe('unsupported-format: archive is empty');
    expect(refuse(Buffer.alloc(512))).toMatch(/^unsupported-format/);
  });
});

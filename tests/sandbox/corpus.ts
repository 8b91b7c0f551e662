/**
 * The malicious-archive corpus: each case builds its archive at test time and names the reason
 * code the extractor must refuse it with. Most cases start with an honest file, so a refusal that
 * left earlier entries behind would show.
 */
import { bzip2, gzip, header, paxRecords, tarOf, zstd, type RawEntry } from './craft.js';
import type { SandboxLimits, SandboxReason } from '../../src/payload/sandbox/index.js';

export interface CorpusCase {
  name: string;
  reason: SandboxReason;
  archive: () => Buffer;
  limits?: Partial<SandboxLimits>;
  /** sha256 the caller claims the archive has. */
  expectedSha256?: string;
}

const honest: RawEntry = { name: 'honest.txt', data: 'an honest file first\n' };
const tar = (...entries: RawEntry[]) => tarOf([honest, ...entries]);
const MiB = 1024 * 1024;

/** 0x80 marks GNU base-256; this declares an 8 EiB file. */
const hugeSizeField = Buffer.from([0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** A tar whose single file is `size` bytes of zeros, compressed with zstd without building it whole. */
function zstdZeros(fileSize: number, streamed: number): Buffer {
  const body = Buffer.concat([header({ name: 'zeros.bin', size: fileSize }), Buffer.alloc(streamed)]);
  return zstd(body);
}

export const CORPUS: CorpusCase[] = [
  { name: 'absolute path', reason: 'absolute-path', archive: () => tar({ name: '/tmp/pwned', data: 'x' }) },
  {
    name: 'absolute path via pax',
    reason: 'absolute-path',
    archive: () => tar(paxRecords({ path: '/etc/cron.d/pwned' }), { name: 'innocent', data: 'x' }),
  },
  { name: 'leading ../', reason: 'path-traversal', archive: () => tar({ name: '../outside.txt', data: 'x' }) },
  { name: 'a/../../x', reason: 'path-traversal', archive: () => tar({ name: 'a/../../outside.txt', data: 'x' }) },
  { name: 'inner .. that stays inside is refused too', reason: 'path-traversal', archive: () => tar({ name: 'a/../b', data: 'x' }) },
  {
    name: 'long name with .. via pax header',
    reason: 'path-traversal',
    archive: () => tar(paxRecords({ path: `${'d'.repeat(120)}/../../../../outside.txt` }), { name: 'short', data: 'x' }),
  },
  {
    name: 'GNU longname traversal',
    reason: 'path-traversal',
    archive: () => tar({ name: '././@LongLink', type: 'L', data: `../../${'x'.repeat(150)}\0` }, { name: 'short', data: 'x' }),
  },
  {
    name: 'NUL in pax path',
    reason: 'bad-path',
    archive: () => tar(paxRecords({ path: 'ok.txt\0/../../outside.txt' }), { name: 'ok.txt', data: 'x' }),
  },
  {
    name: 'NUL inside a GNU long name',
    reason: 'bad-path',
    archive: () => tar({ name: '././@LongLink', type: 'L', data: 'ok.txt\0../../outside.txt\0' }, { name: 'ok.txt', data: 'x' }),
  },
  {
    name: 'component longer than NAME_MAX',
    reason: 'bad-path',
    archive: () => tar(paxRecords({ path: `a/${'z'.repeat(300)}` }), { name: 'z', data: 'x' }),
  },
  {
    name: 'path longer than PATH_MAX',
    reason: 'bad-path',
    archive: () => tar(paxRecords({ path: 'd/'.repeat(2100) + 'f' }), { name: 'z', data: 'x' }),
  },
  {
    name: 'name that is not UTF-8',
    reason: 'bad-path',
    archive: () => tar({ name: '', nameBytes: Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74]), data: 'x' }),
  },
  { name: 'symlink to /etc/passwd', reason: 'symlink-escape', archive: () => tar({ name: 'passwd', type: '2', linkname: '/etc/passwd' }) },
  {
    name: 'symlink to /etc then a file written through it',
    reason: 'symlink-escape',
    archive: () => tar({ name: 'etc', type: '2', linkname: '/etc' }, { name: 'etc/cron.d/pwned', data: 'x' }),
  },
  {
    name: 'relative symlink escaping',
    reason: 'symlink-escape',
    archive: () => tar({ name: 'sub/up', type: '2', linkname: '../../outside.txt' }),
  },
  {
    name: 'in-bounds symlink then a file written through it',
    reason: 'symlink-escape',
    archive: () => tar({ name: 'real', type: '5' }, { name: 'alias', type: '2', linkname: 'real' }, { name: 'alias/file', data: 'x' }),
  },
  {
    name: 'symlink chain escape (a -> ., b -> a/..)',
    reason: 'symlink-escape',
    archive: () => tar({ name: 'a', type: '2', linkname: '.' }, { name: 'b', type: '2', linkname: 'a/..' }),
  },
  {
    name: 'later symlink redirects an earlier one out (x -> y/.., then y -> .)',
    reason: 'symlink-escape',
    archive: () => tar({ name: 'x', type: '2', linkname: 'y/..' }, { name: 'y', type: '2', linkname: '.' }),
  },
  {
    name: 'symlink loop used to hide an escape',
    reason: 'symlink-escape',
    archive: () => tar({ name: 'p', type: '2', linkname: 'q' }, { name: 'q', type: '2', linkname: 'p/..' }),
  },
  {
    name: 'GNU longlink symlink target to /etc/shadow',
    reason: 'symlink-escape',
    archive: () => tar({ name: '././@LongLink', type: 'K', data: '/etc/shadow\0' }, { name: 'shadow', type: '2', linkname: 'harmless' }),
  },
  {
    name: 'hardlink to /etc/passwd',
    reason: 'hardlink-escape',
    archive: () => tar({ name: 'passwd', type: '1', linkname: '/etc/passwd' }),
  },
  {
    name: 'hardlink to a file outside',
    reason: 'hardlink-escape',
    archive: () => tar({ name: 'out', type: '1', linkname: '../outside.txt' }),
  },
  {
    name: 'hardlink to an entry not extracted yet',
    reason: 'hardlink-escape',
    archive: () => tar({ name: 'early', type: '1', linkname: 'later.txt' }, { name: 'later.txt', data: 'x' }),
  },
  {
    name: 'hardlink to a directory',
    reason: 'hardlink-escape',
    archive: () => tar({ name: 'd', type: '5' }, { name: 'dl', type: '1', linkname: 'd' }),
  },
  {
    name: 'hardlink through an in-bounds symlink',
    reason: 'hardlink-escape',
    archive: () =>
      tar({ name: 'dir/f', data: 'x' }, { name: 'sl', type: '2', linkname: 'dir' }, { name: 'hl', type: '1', linkname: 'sl/f' }),
  },
  { name: 'character device', reason: 'device', archive: () => tar({ name: 'null', type: '3' }) },
  { name: 'block device', reason: 'device', archive: () => tar({ name: 'sda', type: '4' }) },
  { name: 'FIFO', reason: 'device', archive: () => tar({ name: 'pipe', type: '6' }) },
  { name: 'GNU sparse entry', reason: 'unsupported-entry', archive: () => tar({ name: 'sparse', type: 'S', data: 'x' }) },
  {
    name: 'directory replaced by a file',
    reason: 'type-conflict',
    archive: () => tar({ name: 'd', type: '5' }, { name: 'd/inner', data: 'x' }, { name: 'd', data: 'x' }),
  },
  {
    name: 'file then directory of the same name',
    reason: 'type-conflict',
    archive: () => tar({ name: 'f', data: 'x' }, { name: 'f', type: '5' }),
  },
  {
    name: 'file used as a parent directory',
    reason: 'type-conflict',
    archive: () => tar({ name: 'f', data: 'x' }, { name: 'f/child', data: 'x' }),
  },
  { name: 'huge base-256 size field', reason: 'too-large', archive: () => tar({ name: 'huge', sizeField: hugeSizeField }) },
  { name: 'declared size past maxBytes', reason: 'too-large', archive: () => tar({ name: 'big', size: 2 * 1024 * MiB }) },
  {
    name: 'pax size override past maxBytes',
    reason: 'too-large',
    archive: () => tar(paxRecords({ size: String(5 * 1024 * MiB) }), { name: 'small', data: 'x' }),
  },
  {
    name: 'zip bomb by size (many small files past maxBytes)',
    reason: 'too-large',
    limits: { maxBytes: MiB },
    archive: () => zstd(tarOf(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: Buffer.alloc(100_000) })))),
  },
  { name: 'zip bomb by ratio (zstd, default limits)', reason: 'ratio', archive: () => zstdZeros(512 * MiB, 24 * MiB) },
  {
    name: 'zip bomb by ratio (gzip, tight limits)',
    reason: 'ratio',
    limits: { maxRatio: 10, ratioGraceBytes: 64 * 1024 },
    archive: () => gzip(tarOf([{ name: 'zeros', data: Buffer.alloc(2 * MiB) }])),
  },
  {
    name: 'zip bomb by ratio (bzip2: 45 MB in one block of ~50 bytes)',
    reason: 'ratio',
    archive: () => bzip2(Buffer.concat([header({ name: 'zeros', size: 45_000_000 - 512 }), Buffer.alloc(45_000_000 - 512)])),
  },
  {
    name: 'oversized pax header',
    reason: 'too-large',
    limits: { maxMetaBytes: 4096 },
    archive: () => tar(paxRecords({ comment: 'c'.repeat(10_000) }), { name: 'x', data: 'x' }),
  },
  {
    name: 'too many entries',
    reason: 'too-many-entries',
    limits: { maxEntries: 5 },
    archive: () => tarOf(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, data: 'x' }))),
  },
  {
    name: 'truncated tar (mid file data)',
    reason: 'corrupt',
    archive: () => tar({ name: 'cut', data: Buffer.alloc(5000, 1) }).subarray(0, 512 * 4),
  },
  { name: 'tar without end-of-archive marker', reason: 'corrupt', archive: () => tarOf([honest], { eof: false }) },
  { name: 'header checksum mismatch', reason: 'corrupt', archive: () => tar({ name: 'bad', data: 'x', badChecksum: true }) },
  {
    name: 'malformed pax record',
    reason: 'corrupt',
    archive: () => tar({ name: 'PaxHeader', type: 'x', data: '99 path=x\n' }, { name: 'x', data: 'x' }),
  },
  {
    name: 'truncated zstd stream',
    reason: 'corrupt',
    archive: () => {
      const z = zstd(tar({ name: 'a', data: Buffer.alloc(200_000, 3) }));
      return z.subarray(0, Math.floor(z.length / 2));
    },
  },
  {
    name: 'corrupt zstd stream',
    reason: 'corrupt',
    archive: () => {
      const z = Buffer.from(zstd(tar({ name: 'a', data: randomish(100_000) })));
      for (let i = 20; i < z.length - 20; i += 97) z[i] = z[i]! ^ 0x5a;
      return z;
    },
  },
  {
    name: 'corrupt bzip2 stream',
    reason: 'corrupt',
    archive: () => {
      const b = Buffer.from(bzip2(tar({ name: 'a', data: randomish(50_000) })));
      for (let i = 40; i < b.length - 10; i += 101) b[i] = b[i]! ^ 0x5a;
      return b;
    },
  },
  {
    name: 'truncated bzip2 stream',
    reason: 'corrupt',
    archive: () => {
      const b = bzip2(tar({ name: 'a', data: randomish(50_000) }));
      return b.subarray(0, b.length - 30);
    },
  },
  { name: 'wrong sha256', reason: 'checksum', expectedSha256: 'ab'.repeat(32), archive: () => tar() },
  {
    name: 'xz archive',
    reason: 'unsupported-format',
    archive: () => Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]), Buffer.alloc(600)]),
  },
  { name: 'not an archive at all', reason: 'unsupported-format', archive: () => Buffer.from('#!/bin/sh\nrm -rf ~\n'.repeat(40)) },
  { name: 'empty file', reason: 'unsupported-format', archive: () => Buffer.alloc(0) },
];

function randomish(length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = 2463534242;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

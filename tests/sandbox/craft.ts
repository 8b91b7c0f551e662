/**
 * Hand-made tar archives for the malicious corpus. Headers are written byte by byte here, not
 * with the code under test, so a bug in the pilot's writer cannot hide the same bug in its reader.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import zlib from 'node:zlib';

export interface RawEntry {
  name: string;
  type?: string; // tar type flag, default '0'
  data?: Buffer | string;
  /** Size written in the header; defaults to data length. */
  size?: number;
  /** Raw 12-byte size field (e.g. base-256), overrides `size`. */
  sizeField?: Buffer;
  mode?: number;
  linkname?: string;
  /** Raw bytes for the name field, for names that are not UTF-8. */
  nameBytes?: Buffer;
  /** Corrupt the header checksum. */
  badChecksum?: boolean;
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

export function header(entry: RawEntry): Buffer {
  const block = Buffer.alloc(512);
  const data = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
  (entry.nameBytes ?? Buffer.from(entry.name, 'utf8')).copy(block, 0, 0, 100);
  block.write(octal(entry.mode ?? 0o644, 8), 100, 'latin1');
  block.write(octal(1000, 8), 108, 'latin1');
  block.write(octal(1000, 8), 116, 'latin1');
  if (entry.sizeField) entry.sizeField.copy(block, 124, 0, 12);
  else block.write(octal(entry.size ?? data.length, 12), 124, 'latin1');
  block.write(octal(1_700_000_000, 12), 136, 'latin1');
  block.write(entry.type ?? '0', 156, 'latin1');
  if (entry.linkname) Buffer.from(entry.linkname, 'utf8').copy(block, 157, 0, 100);
  block.write('ustar\u000000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  if (entry.badChecksum) sum += 1;
  block.write(octal(sum, 7) + ' ', 148, 'latin1');
  return block;
}

function pad(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

/** A pax extended header ('x') block carrying the given records. */
export function paxRecords(records: Record<string, string>): RawEntry {
  let body = '';
  for (const [key, value] of Object.entries(records)) {
    const rest = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(rest) + 1;
    while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
    body += `${length}${rest}`;
  }
  return { name: 'PaxHeader', type: 'x', data: body };
}

/** A plain tar: each entry's header and padded data, then the two end-of-archive blocks. */
export function tarOf(entries: RawEntry[], options: { eof?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry));
    if (entry.data !== undefined) parts.push(pad(Buffer.from(entry.data)));
  }
  if (options.eof !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function zstd(data: Buffer): Buffer {
  return zlib.zstdCompressSync(data);
}

export function gzip(data: Buffer): Buffer {
  return zlib.gzipSync(data);
}

/** bzip2 from the Debian `bzip2` CLI (in .ci/apt-packages.txt): no JS encoder is needed at runtime. */
export function bzip2(data: Buffer): Buffer {
  return execFileSync('bzip2', ['-c'], { input: data, maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
}

export function writeArchive(file: string, data: Buffer): string {
  writeFileSync(file, data);
  return file;
}

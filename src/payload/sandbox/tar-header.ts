import { SandboxError } from './errors.js';

/**
 * One 512-byte tar header block, ustar/GNU/pax flavours. Parsing is strict: a bad checksum, an
 * unparsable number or a name that is not UTF-8 is an error, never a warning that skips the entry.
 */
export const BLOCK = 512;

export type TarEntryType =
  | 'file'
  | 'hardlink'
  | 'symlink'
  | 'char-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'pax'
  | 'pax-global'
  | 'gnu-longname'
  | 'gnu-longlink'
  | 'other';

export interface TarHeader {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  type: TarEntryType;
  /** The raw type flag, for messages about types we refuse. */
  typeFlag: string;
  linkname: string;
}

const TYPE_BY_FLAG: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: an ordinary file everywhere that matters
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
  x: 'pax',
  g: 'pax-global',
  L: 'gnu-longname',
  K: 'gnu-longlink',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Decode a parsed header; `where` names the position for error messages. */
export function parseHeader(block: Buffer, where: string): TarHeader {
  if (block.length !== BLOCK) throw new SandboxError('corrupt', `short header block at ${where}`);
  verifyChecksum(block, where);
  const typeFlag = String.fromCharCode(block[156]!);
  const magic = block.subarray(257, 263).toString('latin1');
  const name = decodeName(block.subarray(0, 100), where);
  // Only POSIX ustar has a prefix field; old GNU headers keep other data there.
  const prefix = magic === 'ustar\0' ? decodeName(block.subarray(345, 500), where) : '';
  return {
    name: prefix ? `${prefix}/${name}` : name,
    mode: parseNumber(block.subarray(100, 108), 'mode', where),
    size: parseNumber(block.subarray(124, 136), 'size', where),
    mtime: parseNumber(block.subarray(136, 148), 'mtime', where),
    type: TYPE_BY_FLAG[typeFlag] ?? 'other',
    typeFlag,
    linkname: decodeName(block.subarray(157, 257), where),
  };
}

function verifyChecksum(block: Buffer, where: string): void {
  const stored = parseNumber(block.subarray(148, 156), 'checksum', where);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  // Some historic writers summed signed chars; both are accepted, as GNU tar does.
  if (stored !== unsigned && stored !== signed) {
    throw new SandboxError('corrupt', `tar header checksum mismatch at ${where} (not a tar archive, or damaged)`);
  }
}

/** A NUL-terminated field, which must be UTF-8. */
export function decodeName(field: Buffer, where: string): string {
  const end = field.indexOf(0);
  const bytes = end === -1 ? field : field.subarray(0, end);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SandboxError('bad-path', `entry name at ${where} is not valid UTF-8 (hex ${bytes.toString('hex').slice(0, 64)})`);
  }
}

/** Octal ASCII (space/NUL terminated) or GNU base-256 for values that do not fit. */
export function parseNumber(field: Buffer, what: string, where: string): number {
  const first = field[0]!;
  if (first & 0x80) {
    if (first === 0xff) throw new SandboxError('corrupt', `negative ${what} in tar header at ${where}`);
    let value = BigInt(first & 0x7f);
    for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i]!);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new SandboxError(what === 'size' ? 'too-large' : 'corrupt', `${what} ${value} in tar header at ${where} is too large`);
    }
    return Number(value);
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) {
    throw new SandboxError('corrupt', `${what} field ${JSON.stringify(text)} in tar header at ${where} is not octal`);
  }
  return parseInt(text, 8);
}

/** Fields a writer sets; everything else is written as a portable ustar default. */
export interface HeaderFields {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  typeFlag: string;
  linkname?: string;
}

const MAX_OCTAL_SIZE = 0o77777777777;

/**
 * A ustar header block, or null when the name, link name or size does not fit ustar and the
 * caller must precede it with a pax header.
 */
export function encodeHeader(fields: HeaderFields): Buffer | null {
  const split = splitUstarName(fields.name);
  const linkname = Buffer.from(fields.linkname ?? '', 'utf8');
  if (!split || linkname.length > 100 || fields.size > MAX_OCTAL_SIZE) return null;
  return encodeRaw({ ...fields, name: split.name, prefix: split.prefix });
}

/** Writes the given fields verbatim (names truncated to their field); used for pax headers and fallbacks. */
export function encodeRaw(fields: HeaderFields & { prefix?: string }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, fields.mode & 0o7777);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, Math.min(fields.size, MAX_OCTAL_SIZE));
  writeOctal(block, 136, 12, Math.max(0, Math.min(Math.floor(fields.mtime), MAX_OCTAL_SIZE)));
  block.write(fields.typeFlag, 156, 1, 'latin1');
  block.write(fields.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'latin1');
  if (fields.prefix) block.write(fields.prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  writeOctal(block, 148, 7, sum);
  block[155] = 0x20;
  return block;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0'), offset, length - 1, 'latin1');
  block[offset + length - 1] = 0;
}

function splitUstarName(name: string): { name: string; prefix: string } | null {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes <= 100) return { name, prefix: '' };
  if (bytes > 256) return null;
  // Split at a slash so that the prefix fits 155 bytes and the rest 100.
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix, 'utf8') <= 155 && Buffer.byteLength(rest, 'utf8') <= 100 && rest.length > 0) {
      return { name: rest, prefix };
    }
  }
  return null;
}

/** A pax record body: `<len> <key>=<value>\n`, where len counts the whole record. */
export function encodePaxRecords(records: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    const bodyLength = Buffer.byteLength(body, 'utf8');
    // The length counts its own digits: settle the fixed point.
    let length = bodyLength + 1;
    while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength;
    parts.push(Buffer.from(`${length}${body}`, 'utf8'));
  }
  return Buffer.concat(parts);
}

/** Parse pax records strictly: a malformed record refuses the archive instead of being skipped. */
export function parsePaxRecords(body: Buffer, where: string): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < body.length) {
    if (body[offset] === 0) break; // NUL padding after the last record
    const space = body.indexOf(0x20, offset);
    const lengthText = space === -1 ? '' : body.subarray(offset, space).toString('latin1');
    const length = /^[1-9][0-9]{0,8}$/.test(lengthText) ? Number(lengthText) : NaN;
    if (!Number.isFinite(length) || offset + length > body.length || body[offset + length - 1] !== 0x0a) {
      throw new SandboxError('corrupt', `malformed pax record at ${where}`);
    }
    let record: string;
    try {
      record = utf8.decode(body.subarray(space + 1, offset + length - 1));
    } catch {
      throw new SandboxError('bad-path', `pax record at ${where} is not valid UTF-8`);
    }
    const equals = record.indexOf('=');
    if (equals <= 0) throw new SandboxError('corrupt', `malformed pax record at ${where}`);
    records.set(record.slice(0, equals), record.slice(equals + 1));
    offset += length;
  }
  return records;
}

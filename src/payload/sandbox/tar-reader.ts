import { ByteSource } from './byte-source.js';
import { SandboxError } from './errors.js';
import { BLOCK, decodeName, isZeroBlock, parseHeader, parsePaxRecords, type TarEntryType } from './tar-header.js';

/** One real entry (file, directory, link, device…), with pax and GNU long names already applied. */
export interface TarEntry {
  path: string;
  linkpath: string;
  type: Exclude<TarEntryType, MetaType>;
  typeFlag: string;
  mode: number;
  mtime: number;
  size: number;
  /** The entry's data: read it, or leave it and the reader skips it. Only valid until the next entry. */
  body: AsyncIterable<Buffer>;
}

export interface TarReaderOptions {
  /** Largest pax/GNU meta body held in memory. */
  maxMetaBytes: number;
}

interface Overrides {
  path?: string;
  linkpath?: string;
  size?: number;
}

/**
 * Entries of a tar stream in order. It stops at the end-of-archive marker (anything after is
 * never decompressed) and refuses an archive that ends without one.
 */
export async function* readTarEntries(source: ByteSource, options: TarReaderOptions): AsyncGenerator<TarEntry> {
  let overrides: Overrides = {};
  for (;;) {
    const offset = source.position;
    const block = await source.readExact(BLOCK);
    if (block === null) {
      throw new SandboxError('corrupt', `archive ends at offset ${offset} without the end-of-archive marker (truncated?)`);
    }
    if (isZeroBlock(block)) return;
    const where = `offset ${offset}`;
    const header = parseHeader(block, where);
    const type = header.type;
    // A pending pax `size` belongs to the next real entry, never to another meta header.
    const size = isMetaType(type) ? header.size : (overrides.size ?? header.size);
    const padded = Math.ceil(size / BLOCK) * BLOCK;

    if (isMetaType(type)) {
      if (size > options.maxMetaBytes) {
        throw new SandboxError('too-large', `${header.type} header of ${size} bytes at ${where} exceeds ${options.maxMetaBytes}`);
      }
      const body = (await readAll(source, padded)).subarray(0, size);
      // Global headers apply to every later entry in theory; no writer uses them for names, and
      // honouring them would let one header rename everything, so they are checked and dropped.
      if (type === 'pax-global') parsePaxRecords(body, where);
      else if (type === 'pax') overrides = { ...overrides, ...paxOverrides(body, where) };
      else if (type === 'gnu-longname') overrides.path = longName(body, where);
      else overrides.linkpath = longName(body, where);
      continue;
    }

    let consumed = 0;
    const entry: TarEntry = {
      path: overrides.path ?? header.name,
      linkpath: overrides.linkpath ?? header.linkname,
      type,
      typeFlag: header.typeFlag,
      mode: header.mode,
      mtime: header.mtime,
      size,
      body: (async function* () {
        for await (const piece of source.take(size - consumed)) {
          consumed += piece.length;
          yield piece;
        }
      })(),
    };
    overrides = {};
    yield entry;
    await source.skip(padded - consumed);
  }
}

type MetaType = 'pax' | 'pax-global' | 'gnu-longname' | 'gnu-longlink';

function isMetaType(type: TarEntryType): type is MetaType {
  return type === 'pax' || type === 'pax-global' || type === 'gnu-longname' || type === 'gnu-longlink';
}

async function readAll(source: ByteSource, length: number): Promise<Buffer> {
  if (length === 0) return Buffer.alloc(0);
  const data = await source.readExact(length);
  if (data === null) throw new SandboxError('corrupt', `archive is truncated inside a header at offset ${source.position}`);
  return data;
}

function paxOverrides(body: Buffer, where: string): Overrides {
  const records = parsePaxRecords(body, where);
  const out: Overrides = {};
  const path = records.get('path');
  const linkpath = records.get('linkpath');
  const size = records.get('size');
  if (path !== undefined && path !== '') out.path = path;
  if (linkpath !== undefined && linkpath !== '') out.linkpath = linkpath;
  if (size !== undefined && size !== '') {
    if (!/^[0-9]{1,16}$/.test(size) || !Number.isSafeInteger(Number(size))) {
      throw new SandboxError(/^[0-9]+$/.test(size) ? 'too-large' : 'corrupt', `pax size ${JSON.stringify(size)} at ${where} is not usable`);
    }
    out.size = Number(size);
  }
  return out;
}

/** GNU long names end with NUL padding; a NUL before that is an attempt to hide part of the name. */
function longName(body: Buffer, where: string): string {
  let end = body.length;
  while (end > 0 && body[end - 1] === 0) end--;
  const bytes = body.subarray(0, end);
  if (bytes.includes(0)) throw new SandboxError('bad-path', `GNU long name at ${where} contains a NUL byte`);
  return decodeName(bytes, where);
}

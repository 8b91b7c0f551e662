import { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { SAFE_READ_FLAGS } from '../safe-open.js';
import { SandboxError } from './errors.js';
import { BLOCK, encodeHeader, encodePaxRecords, encodeRaw } from './tar-header.js';

/** What goes into an archive: a file's content is read from `source` when the entry is written. */
export type PackEntry =
  | { type: 'file'; name: string; source: string; mode: number; mtime: number }
  | { type: 'directory'; name: string; mode: number; mtime: number }
  | { type: 'symlink'; name: string; target: string; mtime: number };

const READ_CHUNK = 256 * 1024;
const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

/**
 * A POSIX (ustar + pax) tar stream of `entries`, as chunks. Files are opened O_NOFOLLOW and must
 * still be regular files; owners are written as 0 so archives do not leak local uids. A file that
 * shrinks while read is padded with zeros (and reported) so the archive stays well-formed.
 */
export function tarStream(entries: Iterable<PackEntry>, onWarning: (message: string) => void = () => {}): AsyncGenerator<Buffer> {
  return coalesce(tarBlocks(entries, onWarning), READ_CHUNK);
}

async function* tarBlocks(entries: Iterable<PackEntry>, onWarning: (message: string) => void): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    if (entry.type === 'directory') {
      yield* headerBlocks({ name: `${entry.name}/`, mode: entry.mode, size: 0, mtime: entry.mtime, typeFlag: '5' });
    } else if (entry.type === 'symlink') {
      yield* headerBlocks({ name: entry.name, mode: 0o777, size: 0, mtime: entry.mtime, typeFlag: '2', linkname: entry.target });
    } else {
      yield* fileBlocks(entry, onWarning);
    }
  }
  yield END_OF_ARCHIVE;
}

/**
 * Files up to this size are read with synchronous calls: open, stat, read and close each cost a
 * trip to libuv's thread pool when asynchronous, which for a job directory of thousands of small
 * files is most of the packing time, while each synchronous read takes microseconds.
 */
const SMALL_FILE = 64 * 1024;

/**
 * One synchronous open and stat decide: a small file is read at once, synchronously; a larger one
 * in READ_CHUNK pieces through the thread pool, from the same descriptor (not opened twice).
 */
async function* fileBlocks(entry: Extract<PackEntry, { type: 'file' }>, onWarning: (message: string) => void): AsyncGenerator<Buffer> {
  // No link followed, no FIFO swapped in after the walk can block the open (safe-open.ts).
  const fd = openSync(entry.source, SAFE_READ_FLAGS);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SandboxError('io', `${entry.source} is no longer a regular file`, { entry: entry.name });
    const size = stat.size;
    yield* headerBlocks({ name: entry.name, mode: entry.mode, size, mtime: entry.mtime, typeFlag: '0' });
    if (size <= SMALL_FILE) {
      yield smallFileBody(fd, size, entry.name, onWarning);
      return;
    }
    let left = size;
    while (left > 0) {
      const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, left));
      const bytesRead = await readAt(fd, buffer, size - left);
      if (bytesRead === 0) {
        onWarning(`${entry.name} shrank while being archived; padded ${left} bytes with zeros`);
        yield Buffer.alloc(left);
        left = 0;
        break;
      }
      left -= bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (padding > 0) yield Buffer.alloc(padding);
  } finally {
    closeSync(fd);
  }
}

/** The body of a file of at most SMALL_FILE bytes and its padding, read synchronously. */
function smallFileBody(fd: number, size: number, name: string, onWarning: (message: string) => void): Buffer {
  const body = Buffer.alloc(size + ((BLOCK - (size % BLOCK)) % BLOCK));
  let read = 0;
  while (read < size) {
    const n = readSync(fd, body, read, size - read, read);
    if (n === 0) {
      onWarning(`${name} shrank while being archived; padded ${size - read} bytes with zeros`);
      break;
    }
    read += n;
  }
  return body;
}

function readAt(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buffer, 0, buffer.length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
  );
}

/**
 * Gathers small chunks (a 512-byte header, a few-kB file, its padding) into buffers of about
 * `size` bytes: every chunk downstream is one round trip to the compressor's thread, and a job
 * directory of many small files would otherwise spend its time in those trips, not compressing.
 */
export async function* coalesce(chunks: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of chunks) {
    if (chunk.length >= size) {
      if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      yield chunk;
      continue;
    }
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= size) {
      yield Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

function* headerBlocks(fields: Parameters<typeof encodeHeader>[0]): Generator<Buffer> {
  const plain = encodeHeader(fields);
  if (plain) {
    yield plain;
    return;
  }
  // Too long for ustar: a pax header carries the real name, link name and size.
  const records: Record<string, string> = { path: fields.name };
  if (fields.linkname) records.linkpath = fields.linkname;
  records.size = String(fields.size);
  const body = encodePaxRecords(records);
  yield encodeRaw({ name: 'PaxHeader', mode: 0o644, size: body.length, mtime: fields.mtime, typeFlag: 'x' });
  yield Buffer.concat([body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK)]);
  yield encodeRaw({ ...fields, name: truncateBytes(fields.name, 100), linkname: truncateBytes(fields.linkname ?? '', 100) });
}

function truncateBytes(text: string, bytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  return buffer.length <= bytes
    ? text
    : buffer
        .subarray(0, bytes)
        .toString('utf8')
        .replace(/\ufffd$/, '');
}

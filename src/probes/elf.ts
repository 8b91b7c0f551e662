import { constants } from 'node:fs';
import { openFile, type Opener } from './fs-async.js';

/**
 * Reads one named section of an ELF file (e.g. `.rodata` of libc.so.6) with three small
 * positioned reads instead of loading the whole 2 MB library. Null when the file is not an ELF
 * file we understand (truncated, stand-in, another format): callers fall back. `open` is
 * openFileNow for a file that cannot wait on a remote server (the libc this process has mapped).
 */
export async function readElfSection(
  file: string,
  name: string,
  maxBytes = 8 * 1024 * 1024,
  open: Opener = openFile,
): Promise<Buffer | null> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) return null;
    const header = Buffer.alloc(64);
    const { bytesRead } = await handle.read(header, 0, 64, 0);
    if (bytesRead < 52 || header.readUInt32BE(0) !== 0x7f454c46) return null;
    const is64 = header[4] === 2;
    const little = header[5] === 1;
    const u16 = (buffer: Buffer, at: number): number => (little ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at));
    const u32 = (buffer: Buffer, at: number): number => (little ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at));
    const word = (buffer: Buffer, at: number): number =>
      is64 ? Number(little ? buffer.readBigUInt64LE(at) : buffer.readBigUInt64BE(at)) : u32(buffer, at);
    const sectionTableOffset = word(header, is64 ? 0x28 : 0x20);
    const entrySize = u16(header, is64 ? 0x3a : 0x2e);
    const count = u16(header, is64 ? 0x3c : 0x30);
    const namesIndex = u16(header, is64 ? 0x3e : 0x32);
    if (count === 0 || count > 4096 || entrySize < (is64 ? 64 : 40) || namesIndex >= count) return null;
    const table = Buffer.alloc(entrySize * count);
    if ((await handle.read(table, 0, table.length, sectionTableOffset)).bytesRead !== table.length) return null;
    const section = (index: number): { nameAt: number; offset: number; size: number } => {
      const at = index * entrySize;
      return { nameAt: u32(table, at), offset: word(table, at + (is64 ? 0x18 : 0x10)), size: word(table, at + (is64 ? 0x20 : 0x14)) };
    };
    const names = section(namesIndex);
    if (names.size > 1024 * 1024) return null;
    const nameTable = Buffer.alloc(names.size);
    await handle.read(nameTable, 0, names.size, names.offset);
    for (let index = 0; index < count; index += 1) {
      const entry = section(index);
      const end = nameTable.indexOf(0, entry.nameAt);
      if (nameTable.toString('latin1', entry.nameAt, end < 0 ? undefined : end) !== name) continue;
      if (entry.size > maxBytes) return null;
      const data = Buffer.allocUnsafe(entry.size); // returned only when fully read
      const read = await handle.read(data, 0, entry.size, entry.offset);
      return read.bytesRead === entry.size ? data : null;
    }
    return null;
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}

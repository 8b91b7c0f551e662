import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import path from 'node:path';

/*
 * Opening files inside a job directory, where a hostile payload (same uid as the pilot) may at any
 * moment replace a name by a symlink to the pilot's credentials, a FIFO that blocks an open or a
 * read forever, a device, or a directory. Every open here:
 *  - walks the path one component at a time from a descriptor, never following a symlink
 *    (O_NOFOLLOW on each component; intermediate ones also O_DIRECTORY), through
 *    /proc/self/fd/<dirfd>/<name>, which the kernel resolves as openat(dirfd, name) would: a job
 *    directory renamed or swapped for a link while we walk cannot redirect the open;
 *  - never blocks: O_NONBLOCK (a FIFO opened for reading returns at once, for writing fails ENXIO);
 *  - checks the open descriptor (fstat), not the name: it must be a regular file, with one link
 *    when it is to be written (a hard link to a file the payload cannot name must not become its
 *    output);
 *  - reads a bounded number of bytes.
 * O_NONBLOCK has no effect on a regular file, so a descriptor handed to the payload as its stdout
 * behaves as usual.
 */

export type UnsafeReason = 'symlink' | 'not-regular' | 'directory' | 'hard-link' | 'missing' | 'outside' | 'io';

/** A file in a job directory the pilot refused to open, and why. */
export class UnsafeJobFile extends Error {
  constructor(
    readonly reason: UnsafeReason,
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnsafeJobFile';
  }
}

const { O_RDONLY, O_RDWR, O_CREAT, O_APPEND, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;
// libuv opens every descriptor close-on-exec already: a payload never inherits one it was not handed.

export type OpenMode =
  /** Read only. */
  | 'read'
  /** Read and append, created (mode 0600) when missing: the payload's stdout/stderr, read back by the pilot through the same descriptor. */
  | 'append';

/**
 * Opens `relative` (a path inside `root`, already checked by job-paths.ts) for `mode`, safely as
 * described above. `root` itself is opened without following a symlink at its last component.
 * Throws UnsafeJobFile; the caller decides whether that fails the job or is just skipped.
 */
export function openInDir(root: string, relative: string, mode: OpenMode): number {
  const components = relative.split('/').filter((c) => c !== '' && c !== '.');
  // Named relative to the job directory: the message may become a minor status the job owner reads.
  const display = relative;
  if (components.length === 0 || components.includes('..'))
    throw new UnsafeJobFile('outside', display, `${display}: not a file inside the job directory`);
  if (!procFdAvailable()) return openByPath(root, components, mode, display);
  let dirFd = openDirectory(root, display);
  try {
    for (const component of components.slice(0, -1)) {
      const next = openDirectory(`/proc/self/fd/${dirFd}/${component}`, display);
      closeSync(dirFd);
      dirFd = next;
    }
    return openLast(`/proc/self/fd/${dirFd}/${components[components.length - 1]!}`, mode, display);
  } finally {
    closeSync(dirFd);
  }
}

/** Opens an absolute file safely (its directory trusted up to the last component): for files the pilot itself placed. */
export function openFile(file: string, mode: OpenMode): number {
  return openInDir(path.dirname(file), path.basename(file), mode);
}

let procFd: boolean | undefined;
/** /proc/self/fd resolves a directory descriptor like openat(2) does; without /proc the walk goes by path. */
function procFdAvailable(): boolean {
  procFd ??= existsSync('/proc/self/fd');
  return procFd;
}

/**
 * Without /proc (a chroot, a container without it): every directory on the way checked with lstat,
 * the last component opened O_NOFOLLOW|O_NONBLOCK and checked on the descriptor. A payload that
 * swaps a directory of the path for a link between the check and the open can still redirect it:
 * the job directory's own files, the common case, have no directory on the way.
 */
function openByPath(root: string, components: string[], mode: OpenMode, display: string): number {
  let dir = root;
  for (const component of [null, ...components.slice(0, -1)]) {
    if (component !== null) dir = path.join(dir, component);
    let stats: Stats;
    try {
      stats = lstatSync(dir);
    } catch (error) {
      throw refusal(error, display);
    }
    if (!stats.isDirectory())
      throw new UnsafeJobFile('symlink', display, `${display}: a directory on its path is a symlink or not a directory`);
  }
  return openLast(path.join(dir, components[components.length - 1]!), mode, display);
}

/**
 * The last component, once its directory is reached: opened without following a link or blocking
 * on a FIFO (created 0600 for 'append'), then checked on the descriptor (checkRegular).
 */
function openLast(file: string, mode: OpenMode, display: string): number {
  const flags = (mode === 'read' ? O_RDONLY : O_RDWR | O_APPEND | O_CREAT) | O_NOFOLLOW | O_NONBLOCK;
  let fd: number;
  try {
    fd = openSync(file, flags, 0o600);
  } catch (error) {
    throw refusal(error, display);
  }
  try {
    checkRegular(fstatSync(fd), display, mode !== 'read');
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/** Tests: walk by path as on a node without /proc. */
export function forceOpenByPath(on: boolean): void {
  procFd = on ? false : undefined;
}

function openDirectory(dir: string, display: string): number {
  try {
    return openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR with O_NOFOLLOW|O_DIRECTORY on a symlink: Linux answers ENOTDIR (or ELOOP).
    if (code === 'ENOTDIR' || code === 'ELOOP')
      throw new UnsafeJobFile('symlink', display, `${display}: a directory on its path is a symlink or not a directory`);
    throw refusal(error, display);
  }
}

function checkRegular(stats: Stats, display: string, forWriting: boolean): void {
  if (stats.isDirectory()) throw new UnsafeJobFile('directory', display, `${display}: is a directory`);
  if (!stats.isFile()) throw new UnsafeJobFile('not-regular', display, `${display}: not a regular file (FIFO, socket or device)`);
  if (forWriting && stats.nlink > 1) throw new UnsafeJobFile('hard-link', display, `${display}: has ${stats.nlink} hard links`);
}

function refusal(error: unknown, display: string): UnsafeJobFile {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ELOOP':
      return new UnsafeJobFile('symlink', display, `${display}: is a symlink`);
    case 'EISDIR':
      return new UnsafeJobFile('directory', display, `${display}: is a directory`);
    case 'ENXIO':
    case 'ENODEV':
    case 'ETXTBSY':
      return new UnsafeJobFile('not-regular', display, `${display}: not a regular file (FIFO, socket or device)`);
    case 'ENOENT':
      return new UnsafeJobFile('missing', display, `${display}: does not exist`);
    default:
      return new UnsafeJobFile('io', display, `${display}: cannot open: ${code ?? String(error)}`);
  }
}

/** Size of an open file; 0 when it cannot be read. */
export function sizeOf(fd: number): number {
  try {
    return fstatSync(fd).size;
  } catch {
    return 0;
  }
}

/** At most `maxBytes` from the end of the open file `fd` (one bounded read; never blocks on a regular file). */
export function readTailBytes(fd: number, maxBytes: number): { bytes: Buffer; truncated: boolean } {
  const size = fstatSync(fd).size;
  const length = Math.max(0, Math.min(size, maxBytes));
  const buffer = Buffer.alloc(length);
  const read = length > 0 ? readSync(fd, buffer, 0, length, size - length) : 0;
  return { bytes: buffer.subarray(0, read), truncated: length < size };
}

/** The start of a small file the pilot reads back from a job directory, at most `maxBytes`; null when unsafe or absent. */
export function readSmallFile(root: string, relative: string, maxBytes: number): string | null {
  let fd: number;
  try {
    fd = openInDir(root, relative, 'read');
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(maxBytes);
    const read = readSync(fd, buffer, 0, maxBytes, 0);
    return buffer.subarray(0, read).toString('utf8');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Flags for a file read once its path was checked (tar writer): no link followed, no FIFO blocks. */
export const SAFE_READ_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

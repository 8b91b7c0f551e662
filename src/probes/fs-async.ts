// Named imports: a bundled default import copies every export of node:fs at load (esbuild's
// interop), a cost on each `pilot probe`.
import {
  access as fsAccess,
  close,
  closeSync,
  fstat,
  fstatSync,
  open,
  openSync,
  read,
  readdir as fsReaddir,
  readFile as fsReadFile,
  readSync,
  stat as fsStat,
  statfs as fsStatfs,
  type Stats,
  type StatsFs,
} from 'node:fs';

/**
 * The few promise-returning file calls the probes make, over fs's callback API. node:fs/promises
 * would do the same, but loading it pulls in streams, readline and file watchers: several
 * milliseconds of every `pilot probe`, whose whole budget is a few tens.
 */

function settle<T>(resolve: (value: T) => void, reject: (error: Error) => void) {
  return (error: Error | null, value: T): void => (error ? reject(error) : resolve(value));
}

export function stat(file: string): Promise<Stats> {
  return new Promise((resolve, reject) => fsStat(file, settle(resolve, reject)));
}

export function statfs(file: string): Promise<StatsFs> {
  return new Promise((resolve, reject) => fsStatfs(file, settle(resolve, reject)));
}

export function readdir(dir: string): Promise<string[]> {
  return new Promise((resolve, reject) => fsReaddir(dir, settle(resolve, reject)));
}

export function readFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => fsReadFile(file, 'utf8', settle(resolve, reject)));
}

/** Resolves when `file` is accessible in `mode` (fs.constants.X_OK, …), rejects otherwise. */
export function access(file: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) => fsAccess(file, mode, (error) => (error ? reject(error) : resolve())));
}

/** An open file descriptor with the FileHandle calls the probes use. */
export interface OpenFile {
  stat(): Promise<Stats>;
  /** Reads into buffer[offset, offset + length) from position (null: the current offset). */
  read(buffer: Buffer, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** Opens a file for the readers below: openFile, or openFileNow where a file cannot block. */
export type Opener = (file: string, flags: number) => Promise<OpenFile>;

export function openFile(file: string, flags: number): Promise<OpenFile> {
  return new Promise((resolve, reject) =>
    open(file, flags, (error, fd) => {
      if (error) return reject(error);
      resolve({
        stat: () => new Promise((done, fail) => fstat(fd, settle(done, fail))),
        read: (buffer, offset, length, position) =>
          new Promise((done, fail) =>
            read(fd, buffer, offset, length, position, (readError, bytesRead) => (readError ? fail(readError) : done({ bytesRead }))),
          ),
        close: () => new Promise((done, fail) => close(fd, (closeError) => (closeError ? fail(closeError) : done()))),
      });
    }),
  );
}

/** Runs a synchronous call now and hands its outcome over as a settled promise. */
function now<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * openFile's calls made synchronously: for files that cannot wait on a remote server (see
 * source.ts), where each thread-pool round trip of the asynchronous calls costs more than the
 * read itself. Same interface, so one reader serves both.
 */
export function openFileNow(file: string, flags: number): Promise<OpenFile> {
  return now(() => {
    const fd = openSync(file, flags);
    return {
      stat: () => now(() => fstatSync(fd)),
      read: (buffer, offset, length, position) => now(() => ({ bytesRead: readSync(fd, buffer, offset, length, position) })),
      close: () => now(() => closeSync(fd)),
    };
  });
}

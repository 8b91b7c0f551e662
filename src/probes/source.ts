import { constants, readdirSync } from 'node:fs';
import { openFile, openFileNow, readdir, stat, type Opener } from './fs-async.js';
import { join, posix, resolve } from 'node:path';
import { buildFlatCapture, type VirtualFiles } from './capture.js';
import { readProcBytes } from './proc-read.js';

/**
 * Where the probes read the node from. Every probe asks for absolute Linux paths
 * (`/proc/cpuinfo`, `/sys/fs/cgroup/cpu.max`) and never touches `fs` itself, so the same code
 * reads the live node, a captured tree under a sysroot (like `lscpu --sysroot`), or a flat
 * capture directory such as tests/fixtures/nodes/h100-x86_64 (proc_cpuinfo, cgroup.txt, ...).
 */
export interface NodeSource {
  readonly root: string;
  /** 'live' only when root is "/": then, and only then, may probes run binaries or ask the kernel. */
  readonly layout: 'live' | 'tree' | 'flat';
  /** File contents, or null when missing or unreadable. */
  readText(file: string): Promise<string | null>;
  /** Raw bytes (at most maxBytes), or null when missing or unreadable. */
  readBytes(file: string, maxBytes: number): Promise<Buffer | null>;
  /** Directory entries, or null when missing or unreadable. */
  listDir(dir: string): Promise<string[] | null>;
  /**
   * A side file of a capture (uname.txt, glibc.txt, nvidia-smi-query.csv, which.txt, env.txt):
   * command output recorded next to the files. Always null on the live node.
   */
  captured(name: string): Promise<string | null>;
}

/** Probe files are small; anything bigger than this is not what we think it is. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Opened non-blocking and checked to be a regular file before reading, so a FIFO or a device
 * node in a capture (or an ad file path pointing at one) cannot hang the probe; at most
 * maxBytes are read.
 */
async function readRegularFile(file: string, maxBytes: number, open: Opener = openFile): Promise<Buffer | null> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile()) return null;
    const chunks: Buffer[] = [];
    let total = 0;
    // /proc-style files report size 0, so read until EOF rather than trusting st_size.
    while (total < maxBytes) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes - total)); // only what was read is kept
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(chunks, total);
  } catch {
    return null;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function readSmallFile(file: string, open?: Opener): Promise<string | null> {
  return (await readRegularFile(file, MAX_FILE_BYTES, open))?.toString('utf8') ?? null;
}

function readBytesCapped(file: string, maxBytes: number): Promise<Buffer | null> {
  return readRegularFile(file, maxBytes);
}

async function readDirNames(dir: string): Promise<string[] | null> {
  try {
    return await readdir(dir);
  } catch {
    return null;
  }
}

/**
 * Kernel pseudo-files (/proc, /sys) are generated in memory and never wait on a disk, so on the
 * live node they are read synchronously: a thread-pool round trip per file costs more than the
 * read itself, and a probe reads dozens.
 */
const KERNEL_FS = /^\/(proc|sys)\//;

/**
 * The operating system's own files (/etc/os-release, the root's container markers) are on the
 * filesystem this process was loaded from: the dynamic loader read /etc and the libraries under
 * /usr and /lib before Node started, so they are read synchronously too (still checked to be
 * regular files). /usr/local, home directories, /cvmfs and every PATH directory stay
 * asynchronous, behind deadlines where a stuck mount is common.
 */
const SYSTEM_FILES = /^\/(etc|run|lib|lib64|usr\/lib|usr\/lib64)\/|^\/\.[^/]+$/;

function readKernelText(file: string): Promise<string | null> {
  try {
    // Through one reused buffer: readFileSync allocates 64 KiB for every size-0 /proc file.
    return Promise.resolve(readProcBytes(file, MAX_FILE_BYTES).toString('utf8'));
  } catch {
    return Promise.resolve(null);
  }
}

function listDirNow(dir: string): Promise<string[] | null> {
  try {
    return Promise.resolve(readdirSync(dir));
  } catch {
    return Promise.resolve(null);
  }
}

class TreeSource implements NodeSource {
  readonly layout: 'live' | 'tree';
  constructor(readonly root: string) {
    this.layout = resolve(root) === '/' ? 'live' : 'tree';
  }
  private resolve(file: string): string {
    return this.layout === 'live' ? file : join(this.root, file);
  }
  readText(file: string): Promise<string | null> {
    if (this.layout === 'live' && KERNEL_FS.test(file)) return readKernelText(file);
    if (this.layout === 'live' && SYSTEM_FILES.test(file)) return readSmallFile(file, openFileNow);
    return readSmallFile(this.resolve(file));
  }
  readBytes(file: string, maxBytes: number): Promise<Buffer | null> {
    return readBytesCapped(this.resolve(file), maxBytes);
  }
  listDir(dir: string): Promise<string[] | null> {
    if (this.layout === 'live' && (KERNEL_FS.test(dir) || SYSTEM_FILES.test(dir))) return listDirNow(dir);
    return readDirNames(this.resolve(dir));
  }
  captured(name: string): Promise<string | null> {
    return this.layout === 'live' ? Promise.resolve(null) : readSmallFile(join(this.root, name));
  }
}

class FlatCaptureSource implements NodeSource {
  readonly layout = 'flat' as const;
  private files: Promise<VirtualFiles> | null = null;
  constructor(readonly root: string) {}

  private virtual(): Promise<VirtualFiles> {
    this.files ??= buildFlatCapture((name) => readSmallFile(join(this.root, name)));
    return this.files;
  }
  async readText(file: string): Promise<string | null> {
    return (await this.virtual()).files.get(posix.normalize(file)) ?? null;
  }
  async readBytes(file: string, maxBytes: number): Promise<Buffer | null> {
    const text = await this.readText(file);
    return text === null ? null : Buffer.from(text, 'utf8').subarray(0, maxBytes);
  }
  async listDir(dir: string): Promise<string[] | null> {
    const entries = (await this.virtual()).dirs.get(posix.normalize(dir));
    return entries ? [...entries] : null;
  }
  captured(name: string): Promise<string | null> {
    return readSmallFile(join(this.root, name));
  }
}

/**
 * Pick the layout: "/" is the live node; a directory holding `proc_cpuinfo` and no `proc/` is a
 * flat capture; anything else is read as a sysroot tree.
 */
export async function openNodeSource(root = '/'): Promise<NodeSource> {
  if (resolve(root) === '/') return new TreeSource('/');
  const [flatCpuinfo, procDir] = await Promise.all([
    stat(join(root, 'proc_cpuinfo')).catch(() => null),
    stat(join(root, 'proc')).catch(() => null),
  ]);
  if (flatCpuinfo?.isFile() && !procDir?.isDirectory()) return new FlatCaptureSource(root);
  return new TreeSource(root);
}

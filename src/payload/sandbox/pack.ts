import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { OutputSandboxArchive } from '../../backend/types.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { writeCompressed, type WrittenArchive } from './compress.js';
import { SandboxError } from './errors.js';
import type { SandboxFormat } from './format.js';
import { expandPattern } from './glob.js';
import { tarStream, type PackEntry } from './tar-writer.js';

export interface PackOptions {
  logger?: Logger;
  /** tar.zst (DiracX's default) or tar.bz2 (what DIRAC v9 clients read). */
  format?: 'tar.zst' | 'tar.bz2';
}

export interface SkippedPath {
  path: string;
  reason: string;
}

export interface PackedOutputSandbox extends OutputSandboxArchive {
  /** Archived files, relative to the job directory. */
  files: string[];
  /** Patterns that matched nothing, as DIRAC reports missing output files (not an error). */
  missing: string[];
  /** Matches left out: symlinks leaving the job directory, sockets, refused patterns. */
  skipped: SkippedPath[];
}

/**
 * The output sandbox of a finished job: a tar.zst of whatever the DIRAC OutputSandbox patterns
 * match under jobDir, with its sha256 and size computed while writing. A symlink is archived as
 * the file it points to only when that file is inside jobDir; nothing outside is ever read.
 */
export async function packOutputSandbox(
  jobDir: string,
  patterns: string[],
  outFile: string,
  options: PackOptions = {},
): Promise<PackedOutputSandbox> {
  const logger = options.logger ?? silentLogger();
  const root = await realpathOrFail(jobDir, 'job directory');
  // The archive may be written inside the job directory: never archive it into itself.
  const outPath = path.join(await realpathOrFail(path.dirname(path.resolve(outFile)), 'output directory'), path.basename(outFile));
  const collector = new Collector(root, { exclude: outPath });
  const missing: string[] = [];
  for (const pattern of patterns) {
    const result = await expandPattern(root, pattern);
    if ('rejected' in result) {
      collector.skipped.push({ path: pattern, reason: result.rejected });
    } else if (result.matches.length === 0) {
      missing.push(pattern);
    } else {
      for (const match of result.matches) await collector.add(match);
    }
  }
  const format = options.format ?? 'tar.zst';
  const archive = await writeCompressed(
    tarStream(collector.entries, (w) => logger.warn(w)),
    outFile,
    format,
    collector.bytes,
  );
  if (missing.length > 0) logger.warn({ missing }, 'output sandbox patterns matched no file');
  if (collector.skipped.length > 0) logger.warn({ skipped: collector.skipped }, 'output sandbox paths left out');
  logger.info({ files: collector.files.length, size: archive.size, sha256: archive.sha256 }, 'output sandbox packed');
  return { ...archive, format, files: collector.files, missing, skipped: collector.skipped };
}

/**
 * The whole content of `dir` as an archive (names relative to dir, symlinks kept as symlinks):
 * how demo and test jobs get their input sandboxes.
 */
export async function packDirectory(dir: string, outFile: string, format: SandboxFormat = 'tar.zst'): Promise<WrittenArchive> {
  const root = await realpathOrFail(dir, 'directory');
  const outPath = path.join(await realpathOrFail(path.dirname(path.resolve(outFile)), 'output directory'), path.basename(outFile));
  const collector = new Collector(root, { keepSymlinks: true, exclude: outPath });
  for (const name of (await readdir(root)).sort()) await collector.add(name);
  return writeCompressed(tarStream(collector.entries), outFile, format, collector.bytes);
}

class Collector {
  readonly entries: PackEntry[] = [];
  readonly files: string[] = [];
  /** Total size of the files, as found when collected (sizes the compressor's buffers). */
  bytes = 0;
  readonly skipped: SkippedPath[] = [];
  readonly #seen = new Set<string>();
  readonly #root: string;
  readonly #keepSymlinks: boolean;
  readonly #exclude: string | undefined;

  constructor(root: string, options: { keepSymlinks?: boolean; exclude?: string } = {}) {
    this.#root = root;
    this.#keepSymlinks = options.keepSymlinks ?? false;
    this.#exclude = options.exclude;
  }

  /** Add `relative` (and, for a directory, everything below it). */
  async add(relative: string): Promise<void> {
    if (this.#seen.has(relative)) return;
    this.#seen.add(relative);
    const absolute = path.join(this.#root, relative);
    if (absolute === this.#exclude) return;
    const info = await lstat(absolute);
    const mtime = Math.floor(info.mtimeMs / 1000);
    if (info.isFile()) {
      this.#addFile(relative, absolute, info.mode, mtime, info.size);
    } else if (info.isDirectory()) {
      this.entries.push({ type: 'directory', name: relative, mode: info.mode & 0o755, mtime });
      for (const name of (await readdir(absolute)).sort()) await this.add(`${relative}/${name}`);
    } else if (info.isSymbolicLink()) {
      await this.#addSymlink(relative, absolute, mtime);
    } else {
      this.skipped.push({ path: relative, reason: 'not a regular file, directory or symlink' });
    }
  }

  #addFile(relative: string, source: string, mode: number, mtime: number, size: number): void {
    this.bytes += size;
    this.entries.push({ type: 'file', name: relative, source, mode: mode & 0o755, mtime });
    this.files.push(relative);
  }

  async #addSymlink(relative: string, absolute: string, mtime: number): Promise<void> {
    let target: string;
    try {
      target = await realpath(absolute);
    } catch {
      this.skipped.push({ path: relative, reason: 'dangling symlink' });
      return;
    }
    if (target !== this.#root && !target.startsWith(this.#root + path.sep)) {
      this.skipped.push({ path: relative, reason: 'symlink points outside the job directory' });
      return;
    }
    if (this.#keepSymlinks) {
      const link = await readlink(absolute);
      if (path.isAbsolute(link)) {
        this.skipped.push({ path: relative, reason: 'absolute symlink (would not survive extraction)' });
        return;
      }
      this.entries.push({ type: 'symlink', name: relative, target: link, mtime });
      return;
    }
    const info = await stat(target);
    if (!info.isFile()) {
      this.skipped.push({ path: relative, reason: 'symlink to something other than a regular file' });
      return;
    }
    this.#addFile(relative, target, info.mode, mtime, info.size);
  }
}

async function realpathOrFail(directory: string, what: string): Promise<string> {
  try {
    return await realpath(directory);
  } catch (error) {
    throw new SandboxError('io', `${what} ${directory} is not usable: ${(error as Error).message}`, { cause: error });
  }
}

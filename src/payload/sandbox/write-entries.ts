import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  futimesSync,
  linkSync,
  mkdirSync,
  openSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { entryComponents, hardlinkTargetComponents, MAX_PATH_BYTES } from './entry-path.js';
import { SandboxError } from './errors.js';
import { StagingTree } from './staging-tree.js';
import type { TarEntry } from './tar-reader.js';

/** Permission bits kept: owner rwx, group/other r-x. setuid, setgid, sticky and group/other write go. */
const KEPT_MODE_BITS = 0o755;
const SPECIAL_BITS = 0o7000;

export interface WriteCounts {
  entries: number;
  files: number;
  directories: number;
  symlinks: number;
  hardlinks: number;
  bytesWritten: number;
  /** Entries whose setuid/setgid/sticky bits were removed. */
  strippedModes: string[];
}

/**
 * Writes checked entries into a private staging directory. Every path is built from validated
 * components under `root`, whose directories were all created here, so no write ever goes
 * through a symlink; files are opened O_EXCL|O_NOFOLLOW all the same.
 *
 * The filesystem calls are synchronous on purpose: through libuv's thread pool, extracting many
 * small files was several times slower than GNU tar (docs/decisions/measurements.md). The event
 * loop still turns between decoded chunks.
 */
export class EntryWriter {
  readonly #root: string;
  readonly #tree = new StagingTree();
  readonly #directoryModes = new Map<string, number>();
  readonly counts: WriteCounts = {
    entries: 0,
    files: 0,
    directories: 0,
    symlinks: 0,
    hardlinks: 0,
    bytesWritten: 0,
    strippedModes: [],
  };

  constructor(root: string) {
    this.#root = root;
  }

  async write(entry: TarEntry): Promise<void> {
    switch (entry.type) {
      case 'char-device':
      case 'block-device':
      case 'fifo':
        throw new SandboxError('device', `${entry.type} entries are not allowed in a sandbox`, { entry: entry.path });
      case 'other':
        throw new SandboxError('unsupported-entry', `tar entry type ${JSON.stringify(entry.typeFlag)} is not supported`, {
          entry: entry.path,
        });
      default:
    }
    const components = entryComponents(entry.path);
    if (components.length === 0) {
      if (entry.type === 'directory') return; // "./": the sandbox root itself
      throw new SandboxError('bad-path', 'non-directory entry names the archive root', { entry: entry.path });
    }
    await this.#ensureParents(components, entry.path);
    await this.#clearForReplacement(components, entry);
    const target = this.#fullPath(components);
    switch (entry.type) {
      case 'directory':
        return this.#writeDirectory(components, target, entry);
      case 'file':
        return this.#writeFile(components, target, entry);
      case 'symlink':
        return this.#writeSymlink(components, target, entry);
      case 'hardlink':
        return this.#writeHardlink(components, target, entry);
    }
  }

  /** Checks that need the whole archive, then final directory modes. */
  async finish(): Promise<void> {
    this.#tree.assertNoSymlinkEscapes();
    // Deepest first, so a read-only parent never blocks fixing a child.
    const directories = [...this.#directoryModes].sort((a, b) => b[0].length - a[0].length);
    for (const [directory, mode] of directories) chmodSync(directory, mode);
  }

  #fullPath(components: readonly string[]): string {
    return path.join(this.#root, ...components);
  }

  async #ensureParents(components: readonly string[], raw: string): Promise<void> {
    for (let depth = 1; depth < components.length; depth++) {
      const prefix = components.slice(0, depth);
      const node = this.#tree.get(prefix);
      if (node?.kind === 'directory') continue;
      if (node?.kind === 'symlink') {
        throw new SandboxError('symlink-escape', `entry would be written through the symlink ${JSON.stringify(prefix.join('/'))}`, {
          entry: raw,
        });
      }
      if (node?.kind === 'file') {
        throw new SandboxError('type-conflict', `parent ${JSON.stringify(prefix.join('/'))} is a file`, { entry: raw });
      }
      const directory = this.#fullPath(prefix);
      mkdirSync(directory, { mode: 0o700 });
      this.#tree.set(prefix, { kind: 'directory' });
      this.#directoryModes.set(directory, 0o755);
      this.counts.directories++;
    }
  }

  /** Later entries replace earlier ones, as in tar, except that a directory and a non-directory never replace each other. */
  async #clearForReplacement(components: readonly string[], entry: TarEntry): Promise<void> {
    const existing = this.#tree.get(components);
    if (!existing) return;
    const isDirectory = entry.type === 'directory';
    if ((existing.kind === 'directory') !== isDirectory) {
      throw new SandboxError('type-conflict', `a ${existing.kind} is replaced by a ${entry.type} of the same name`, { entry: entry.path });
    }
    if (!isDirectory) {
      unlinkSync(this.#fullPath(components));
      this.#tree.delete(components);
    }
  }

  async #writeDirectory(components: readonly string[], target: string, entry: TarEntry): Promise<void> {
    if (!this.#tree.get(components)) {
      mkdirSync(target, { mode: 0o700 });
      this.#tree.set(components, { kind: 'directory' });
      this.counts.directories++;
    }
    this.#directoryModes.set(target, this.#sanitizeMode(entry) | 0o700);
  }

  async #writeFile(components: readonly string[], target: string, entry: TarEntry): Promise<void> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const fd = openSync(target, flags, 0o600);
    try {
      this.#tree.set(components, { kind: 'file' });
      for await (const chunk of entry.body) {
        for (let offset = 0; offset < chunk.length;) offset += writeSync(fd, chunk, offset);
        this.counts.bytesWritten += chunk.length;
      }
      fchmodSync(fd, this.#sanitizeMode(entry) | 0o600);
      if (entry.mtime > 0) futimesSync(fd, entry.mtime, entry.mtime);
    } finally {
      closeSync(fd);
    }
    this.counts.files++;
  }

  async #writeSymlink(components: readonly string[], target: string, entry: TarEntry): Promise<void> {
    const linkTarget = entry.linkpath;
    if (linkTarget === '' || linkTarget.includes('\0') || Buffer.byteLength(linkTarget, 'utf8') > MAX_PATH_BYTES) {
      throw new SandboxError('bad-path', 'symlink target is empty, too long or contains NUL', { entry: entry.path });
    }
    assertTargetShape(components, linkTarget, entry.path);
    if (this.#tree.symlinkEscapes(components, linkTarget)) {
      throw new SandboxError('symlink-escape', `symlink to ${JSON.stringify(linkTarget)} points outside the sandbox`, {
        entry: entry.path,
      });
    }
    symlinkSync(linkTarget, target);
    this.#tree.set(components, { kind: 'symlink', target: linkTarget });
    this.counts.symlinks++;
  }

  async #writeHardlink(components: readonly string[], target: string, entry: TarEntry): Promise<void> {
    const source = hardlinkTargetComponents(entry.linkpath, entry.path);
    if (this.#tree.get(source)?.kind !== 'file') {
      throw new SandboxError(
        'hardlink-escape',
        `hardlink target ${JSON.stringify(entry.linkpath)} is not a regular file extracted earlier from this archive`,
        { entry: entry.path },
      );
    }
    linkSync(this.#fullPath(source), target);
    this.#tree.set(components, { kind: 'file' });
    this.counts.hardlinks++;
  }

  #sanitizeMode(entry: TarEntry): number {
    if (entry.mode & SPECIAL_BITS) this.counts.strippedModes.push(entry.path);
    return entry.mode & KEPT_MODE_BITS;
  }
}

/**
 * The local rule that makes symlinks safe whatever other links exist, now or later (a second
 * sandbox merged into the same job directory included): a relative target may climb with leading
 * `..` no higher than the link's own directory, then only descend. Descending from a directory
 * inside the sandbox through links that obey the same rule can never leave it, so no link can be
 * redirected out by another; `a/../b` forms, which could, are refused.
 */
function assertTargetShape(linkComponents: readonly string[], target: string, entry: string): void {
  if (target.startsWith('/')) {
    throw new SandboxError('symlink-escape', `symlink to ${JSON.stringify(target)} is absolute`, { entry });
  }
  const parts = target.split('/').filter((c) => c !== '' && c !== '.');
  let ups = 0;
  while (parts[ups] === '..') ups++;
  if (parts.slice(ups).includes('..')) {
    throw new SandboxError('symlink-escape', `symlink to ${JSON.stringify(target)} has ".." after a name (only leading ../ is allowed)`, {
      entry,
    });
  }
  if (ups > linkComponents.length - 1) {
    throw new SandboxError('symlink-escape', `symlink to ${JSON.stringify(target)} points outside the sandbox`, { entry });
  }
}

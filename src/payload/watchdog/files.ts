import { closeSync, lstatSync, readdirSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { openFile, readTailBytes } from '../safe-open.js';

/** Free space for an unprivileged writer in the filesystem holding `dir`, MB; null when unknown. */
export function freeDiskMB(dir: string): number | null {
  try {
    const stats = statfsSync(dir);
    return (Number(stats.bavail) * Number(stats.bsize)) / (1024 * 1024);
  } catch {
    return null;
  }
}

/** Size of a file, not following a symlink (a link to /dev/zero or a FIFO is not the payload's output); 0 when absent. */
export function fileSize(file: string): number {
  try {
    const stats = lstatSync(file);
    return stats.isFile() ? stats.size : 0;
  } catch {
    return 0;
  }
}

/**
 * Newest modification time (ms) under `dir`, walking at most `maxEntries` entries and never following
 * symlinks (a link to / must not make us walk the node). Returns 0 for an empty or unreadable dir.
 */
export function newestMtimeMs(dir: string, maxEntries: number): number {
  let newest = 0;
  let seen = 0;
  const stack = [dir];
  while (stack.length > 0 && seen < maxEntries) {
    const current = stack.pop() as string;
    let names: string[];
    try {
      names = readdirSync(current);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++seen > maxEntries) break;
      const full = path.join(current, name);
      try {
        const stats = lstatSync(full);
        if (stats.isDirectory()) stack.push(full);
        else if (stats.isFile()) newest = Math.max(newest, stats.mtimeMs);
      } catch {
        // vanished between readdir and lstat: the payload is busy, which is fine
      }
    }
  }
  return newest;
}

/**
 * The last `maxLines` lines of a file, reading at most `maxBytes` from its end, as UTF-8 (a
 * multi-byte character cut at the start of the window becomes U+FFFD; the first partial line is
 * dropped when the window does not start at the beginning of the file). The file is opened as
 * every file in a job directory is (safe-open.ts): a symlink, FIFO, device or directory swapped in
 * under the name gives nothing, and nothing blocks.
 */
export function tailLines(file: string, maxLines: number, maxBytes: number): string {
  let fd: number;
  try {
    fd = openFile(file, 'read');
  } catch {
    return '';
  }
  try {
    return tailLinesOfFd(fd, maxLines, maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** tailLines from a descriptor the caller holds (the payload's own stdout: no name is looked up again). */
export function tailLinesOfFd(fd: number, maxLines: number, maxBytes: number): string {
  try {
    const { bytes, truncated } = readTailBytes(fd, maxBytes);
    let text = bytes.toString('utf8');
    if (truncated) {
      const firstBreak = text.indexOf('\n');
      text = firstBreak >= 0 ? text.slice(firstBreak + 1) : text;
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-maxLines).join('\n');
  } catch {
    return '';
  }
}

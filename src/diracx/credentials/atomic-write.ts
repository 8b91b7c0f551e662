import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replace `file` with `content` so a reader (or a pilot killed mid-write) sees either the old
 * or the new file, never half of one: write a 0600 sibling, fsync it, rename it over.
 */
/** The same, synchronously: for the last moment before a forced exit, when no await can be trusted to return. */
export function writeFileAtomicSync(file: string, content: string, mode = 0o600): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    writeSync(fd, content, null, 'utf8');
    fchmodSync(fd, mode);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, file);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(temp);
    } catch {
      // nothing left to remove
    }
    throw error;
  }
}

export async function writeFileAtomic(file: string, content: string, mode = 0o600): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    // The umask may have narrowed the mode; a wider one is impossible with 'wx' + mode.
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

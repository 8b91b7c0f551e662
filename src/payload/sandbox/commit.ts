import { lstat, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from './errors.js';

/** What to do when the destination already holds a file the archive also has. */
export type OnExisting = 'refuse' | 'replace';

interface Move {
  from: string;
  to: string;
}

/**
 * Move a fully checked staging tree into place. A missing destination is one rename. An existing
 * one (several sandboxes into one job directory) is merged: every conflict is found before
 * anything moves, so a refusal leaves the destination as it was.
 */
export async function commitStaging(staging: string, dest: string, onExisting: OnExisting): Promise<void> {
  const destStat = await lstatOrNull(dest);
  if (!destStat) {
    await rename(staging, dest);
    return;
  }
  if (!destStat.isDirectory()) {
    throw new SandboxError('exists', `destination ${dest} exists and is not a directory`);
  }
  const moves: Move[] = [];
  await planMerge(staging, dest, '', onExisting, moves);
  for (const move of moves) await rename(move.from, move.to);
}

async function planMerge(from: string, to: string, relative: string, onExisting: OnExisting, moves: Move[]): Promise<void> {
  for (const name of (await readdir(from)).sort()) {
    const source = path.join(from, name);
    const target = path.join(to, name);
    const entry = relative ? `${relative}/${name}` : name;
    const [sourceStat, targetStat] = await Promise.all([lstat(source), lstatOrNull(target)]);
    if (!targetStat) {
      moves.push({ from: source, to: target });
    } else if (sourceStat.isDirectory() && targetStat.isDirectory()) {
      await planMerge(source, target, entry, onExisting, moves);
    } else if (!sourceStat.isDirectory() && !targetStat.isDirectory() && onExisting === 'replace') {
      moves.push({ from: source, to: target });
    } else {
      throw new SandboxError('exists', `destination already has ${JSON.stringify(entry)}`, { entry });
    }
  }
}

async function lstatOrNull(file: string) {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

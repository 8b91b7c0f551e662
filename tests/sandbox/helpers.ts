import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(prefix = 'sandbox-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every path under `root` with what it is: content for files, target for symlinks. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (relative: string) => {
    const absolute = path.join(root, relative);
    for (const name of readdirSync(absolute).sort()) {
      const child = relative ? `${relative}/${name}` : name;
      const info = lstatSync(path.join(root, child));
      if (info.isSymbolicLink()) out[child] = `-> ${readlinkSync(path.join(root, child))}`;
      else if (info.isDirectory()) {
        out[`${child}/`] = 'dir';
        visit(child);
      } else out[child] = readFileSync(path.join(root, child)).toString('base64');
    }
  };
  visit('');
  return out;
}

import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveExecutable } from './runner/direct.js';

/**
 * Why the direct runner could not start `executable` (resolved as it resolves it: a path against
 * the job directory, a bare name from the job directory, else from the payload's PATH), or null
 * when it can. Checked before launch: once wrapped (taskset, the namespace helper, a shell), a
 * missing program is only an exit code 127, which reads as the application's own failure.
 */
export async function missingExecutable(executable: string, cwd: string, pathVariable: string | undefined): Promise<string | null> {
  const resolved = resolveExecutable(executable, cwd);
  const candidates = path.isAbsolute(resolved)
    ? [resolved]
    : (pathVariable ?? '')
        .split(':')
        .filter((dir) => path.isAbsolute(dir))
        .map((dir) => path.join(dir, resolved));
  for (const candidate of candidates) {
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return null;
    } catch {
      continue;
    }
  }
  return path.isAbsolute(resolved)
    ? `${resolved}: no such executable file`
    : `${executable}: not in the job directory or the payload's PATH`;
}

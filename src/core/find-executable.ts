import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/**
 * The first executable regular file called `name` in the absolute directories of `env.PATH`,
 * then in `extraDirs`; null when there is none. Relative PATH entries are skipped: they would
 * resolve against whatever directory the pilot happens to be in, which may be a job's.
 */
export function findExecutable(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
  extraDirs: readonly string[] = [],
): string | null {
  const dirs = [...(env.PATH ?? '').split(':').filter((dir) => isAbsolute(dir)), ...extraDirs];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // Not here, or not ours to run.
    }
  }
  return null;
}

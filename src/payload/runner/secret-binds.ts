import { realpathSync } from 'node:fs';
import path from 'node:path';

export interface SecretBindShield {
  /** Bind specs (as given) whose source is a credential file itself: not to be passed. */
  dropped: string[];
  /** `empty:dst:ro` specs to bind after the others, over each credential directory a bind shows. */
  masks: string[];
}

/**
 * Which container binds would show one of the pilot's credential files, and how to hide it: a bind
 * of the file itself is dropped (a file bind cannot be masked for good: the pilot replaces the file
 * by rename when it refreshes tokens, which detaches mounts on it); a bind of a directory at or
 * above the file's directory keeps working, with `emptyDir` bound read-only over the place where
 * the file's directory appears in the container. Pure apart from resolving symlinks in the paths.
 */
export function secretBindMasks(binds: readonly string[], secretFiles: readonly string[], emptyDir: string): SecretBindShield {
  const dropped: string[] = [];
  const masks = new Set<string>();
  const secrets = secretFiles.map((file) => ({ file: real(file), dir: real(path.dirname(file)) }));
  for (const spec of binds) {
    const [rawSource, rawDest] = spec.split(':');
    if (!rawSource || !path.isAbsolute(rawSource)) continue;
    const source = real(rawSource);
    const dest = rawDest && path.isAbsolute(rawDest) ? rawDest : rawSource;
    for (const secret of secrets) {
      if (source === secret.file) {
        dropped.push(spec);
        continue;
      }
      const inside = path.relative(source, secret.dir);
      if (inside === '' || (!inside.startsWith('..') && !path.isAbsolute(inside)))
        masks.add(`${emptyDir}:${path.posix.join(dest, inside.split(path.sep).join('/'))}:ro`);
    }
  }
  return { dropped: [...new Set(dropped)], masks: [...masks] };
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

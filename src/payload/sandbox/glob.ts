import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { hasMagic, matchComponent } from '../../core/fnmatch.js';

/**
 * DIRAC OutputSandbox patterns, matched as DIRAC's JobWrapper does with Python's glob: relative
 * to the job directory, `*` `?` `[abc]` `[!abc]` within one path component, wildcards never match
 * a leading dot, and `**` is just `*`. Symlinked directories are not descended into.
 */
export type PatternResult = { matches: string[] } | { rejected: string };

export { hasMagic, matchComponent };

/** Paths (relative, `/`-separated, sorted per component) matching `pattern` under `root`. */
export async function expandPattern(root: string, pattern: string): Promise<PatternResult> {
  const trimmed = pattern.trim();
  if (trimmed === '') return { rejected: 'empty pattern' };
  if (trimmed.startsWith('/')) return { rejected: 'absolute paths are outside the job directory' };
  if (/^[A-Za-z]+:/.test(trimmed)) return { rejected: 'not a local file pattern (LFN:/SB: entries are not output sandbox files)' };
  const components = trimmed.split('/').filter((c) => c !== '' && c !== '.');
  if (components.includes('..')) return { rejected: '".." leaves the job directory' };
  if (components.length === 0) return { rejected: 'pattern names the job directory itself' };
  const matches: string[] = [];
  await walk(root, [], components, matches);
  return { matches };
}

async function walk(root: string, prefix: string[], components: readonly string[], out: string[]): Promise<void> {
  const depth = prefix.length;
  const component = components[depth]!;
  const directory = path.join(root, ...prefix);
  let names: string[];
  if (hasMagic(component)) {
    const hiddenAllowed = component.startsWith('.');
    names = (await readdirOrEmpty(directory))
      .filter((name) => (hiddenAllowed || !name.startsWith('.')) && matchComponent(component, name))
      .sort();
  } else {
    names = (await lstatOrNull(path.join(directory, component))) ? [component] : [];
  }
  for (const name of names) {
    const next = [...prefix, name];
    if (depth === components.length - 1) {
      out.push(next.join('/'));
      continue;
    }
    const stat = await lstatOrNull(path.join(root, ...next));
    if (stat?.isDirectory()) await walk(root, next, components, out);
  }
}

async function readdirOrEmpty(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch {
    return [];
  }
}

async function lstatOrNull(file: string) {
  try {
    return await lstat(file);
  } catch {
    return null;
  }
}

import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * DIRAC OutputSandbox patterns, matched as DIRAC's JobWrapper does with Python's glob: relative
 * to the job directory, `*` `?` `[abc]` `[!abc]` within one path component, wildcards never match
 * a leading dot, and `**` is just `*`. Symlinked directories are not descended into.
 */
export type PatternResult = { matches: string[] } | { rejected: string };

const MAGIC = /[*?[]/;

export function hasMagic(component: string): boolean {
  return MAGIC.test(component);
}

type Token = { kind: 'star' } | { kind: 'one' } | { kind: 'set'; chars: string; negate: boolean } | { kind: 'char'; char: string };

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'one' });
    } else if (c === '[' && pattern.indexOf(']', i + 2) !== -1) {
      const close = pattern.indexOf(']', i + 2);
      const body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!');
      tokens.push({ kind: 'set', chars: expandRanges(negate ? body.slice(1) : body), negate });
      i = close;
    } else {
      tokens.push({ kind: 'char', char: c });
    }
  }
  return tokens;
}

/** `a-z0-9_` to the characters it stands for, as fnmatch reads a set. */
function expandRanges(set: string): string {
  let out = '';
  for (let i = 0; i < set.length; i++) {
    const from = set[i]!;
    const to = set[i + 2];
    if (set[i + 1] === '-' && to !== undefined) {
      for (let code = from.charCodeAt(0); code <= to.charCodeAt(0) && out.length < 4096; code++) out += String.fromCharCode(code);
      i += 2;
    } else out += from;
  }
  return out;
}

function tokenMatches(token: Token, char: string): boolean {
  switch (token.kind) {
    case 'one':
      return true;
    case 'char':
      return token.char === char;
    case 'set':
      return token.chars.includes(char) !== token.negate;
    case 'star':
      return false;
  }
}

/**
 * fnmatch for one component. Written as the classic greedy matcher that only ever backtracks to
 * the last star: O(pattern × name), where a RegExp of `*a*a*a*b` can take exponential time on a
 * name the job chose.
 */
export function matchComponent(pattern: string, name: string): boolean {
  const tokens = tokenize(pattern);
  const chars = [...name];
  let t = 0;
  let n = 0;
  let starToken = -1;
  let starName = 0;
  while (n < chars.length) {
    const token = tokens[t];
    if (token && token.kind !== 'star' && tokenMatches(token, chars[n]!)) {
      t++;
      n++;
    } else if (token?.kind === 'star') {
      starToken = t++;
      starName = n;
    } else if (starToken !== -1) {
      t = starToken + 1;
      n = ++starName;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

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

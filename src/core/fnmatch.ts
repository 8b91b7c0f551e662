/**
 * fnmatch (Python's, as DIRAC's JobWrapper globs OutputSandbox and OutputData names): `*` `?`
 * `[abc]` `[!abc]` within one path component, in time linear in pattern × name. Both the pattern
 * (the JDL) and the names (the job directory) are a job's to choose, so never a RegExp built from
 * the pattern: `*a*a*a*…b` backtracks exponentially there. Pure, imports nothing: the sandbox
 * packer (src/payload/sandbox/glob.ts) and the OutputData upload (src/data/output-data.ts) share it.
 */
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

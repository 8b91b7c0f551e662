/**
 * JDL (DIRAC's ClassAd dialect) parser and writer.
 *
 * DIRAC has two parsers: ClassAdLight (what the Matcher, JobDB and JobAgent use) and
 * JDL.loadJDLAsCFG (submission). Neither is quote-aware everywhere: ClassAdLight splits on `;`
 * inside strings and loops forever on some nested ads, loadJDLAsCFG drops data silently in
 * other cases (tests/fixtures/dirac-legacy-vectors/README.md lists them). This parser is
 * quote-aware, keeps every value's raw text, and where DIRAC would hang, crash or lose data it
 * throws a JdlError naming the line and column instead.
 *
 * Grammar accepted: `[ Name = Value; ... ]` (brackets optional, last `;` optional, a `;` after the
 * closing `]` allowed). Value: `"string"` (no escapes, may span lines), `{ item, ... }` (nested
 * lists allowed, trailing comma allowed), `[ nested ad ]`, or a bare token/expression running to
 * the next `;` at nesting depth 0 (`SB:SE|/p.tar.bz2`, `123`, `other.Tags[0] == "GPU"`).
 * `#`, `//` and block comments outside strings are skipped, as HTCondor ClassAds do.
 */

export class JdlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JdlError';
  }
}

export type JdlValue =
  | { readonly kind: 'string'; readonly text: string; readonly raw: string }
  | { readonly kind: 'bare'; readonly text: string; readonly raw: string }
  | { readonly kind: 'list'; readonly items: readonly JdlValue[]; readonly raw: string }
  | { readonly kind: 'ad'; readonly ad: JdlDocument; readonly raw: string };

/**
 * Attributes in first-appearance order. A repeated scalar attribute keeps its first position and
 * takes the last value, as both DIRAC parsers do.
 */
export interface JdlDocument {
  readonly attributes: ReadonlyMap<string, JdlValue>;
}

/** Deeper nesting than any real JDL; bounds recursion on hostile input. */
const MAX_DEPTH = 32;
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.\-]*$/;

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }

  where(at = this.pos): string {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return `line ${line} column ${at - lineStart + 1}`;
  }

  fail(message: string, at = this.pos): never {
    throw new JdlError(`JDL: ${message} at ${this.where(at)}`);
  }

  /** Skips whitespace and comments. */
  skipBlank(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (c === '#' || (c === '/' && this.peek(1) === '/')) {
        while (!this.done && this.peek() !== '\n') this.pos++;
      } else if (c === '/' && this.peek(1) === '*') {
        const end = this.text.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail("unterminated '/*' comment");
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }
}

export function parseJdl(text: string): JdlDocument {
  const source = text.replace(/^\uFEFF/, '');
  const cursor = new Cursor(source);
  cursor.skipBlank();
  if (cursor.done) throw new JdlError('JDL: empty description');
  let doc: JdlDocument;
  if (cursor.peek() === '[') {
    const open = cursor.pos;
    cursor.pos++;
    doc = parseBody(cursor, ']', 1);
    if (cursor.peek() !== ']') cursor.fail(`'[' opened at ${cursor.where(open)} is never closed`);
    cursor.pos++;
    cursor.skipBlank();
    if (cursor.peek() === ';') cursor.pos++;
    cursor.skipBlank();
    if (!cursor.done) cursor.fail(`unexpected ${JSON.stringify(cursor.peek())} after the closing ']'`);
  } else {
    doc = parseBody(cursor, '', 1);
    if (!cursor.done) cursor.fail(`unexpected ${JSON.stringify(cursor.peek())} (a ']' without its '[')`);
  }
  return doc;
}

/** Parses `Name = Value;` statements up to `close` (']' or end of text for ''). */
function parseBody(cursor: Cursor, close: string, depth: number): JdlDocument {
  if (depth > MAX_DEPTH) cursor.fail(`ClassAds nested deeper than ${MAX_DEPTH} levels`);
  const attributes = new Map<string, JdlValue>();
  for (;;) {
    cursor.skipBlank();
    if (cursor.done || cursor.peek() === close || (close === '' && cursor.peek() === ']')) break;
    if (cursor.peek() === ';') {
      cursor.pos++;
      continue;
    }
    const nameStart = cursor.pos;
    while (!cursor.done && !/[=;\s\[\]{}"]/.test(cursor.peek())) cursor.pos++;
    const name = cursor.text.slice(nameStart, cursor.pos);
    if (name === '') cursor.fail(`expected an attribute name, found ${JSON.stringify(cursor.peek())}`);
    if (!NAME_PATTERN.test(name)) cursor.fail(`invalid attribute name ${JSON.stringify(name)}`, nameStart);
    cursor.skipBlank();
    if (cursor.peek() !== '=') cursor.fail(`expected '=' after ${name}`);
    cursor.pos++;
    cursor.skipBlank();
    if (cursor.done || cursor.peek() === ';' || cursor.peek() === close || cursor.peek() === ']') {
      cursor.fail(`attribute ${name} has no value`);
    }
    const value = parseValue(cursor, close === '' ? ';' : ';]', depth, name);
    cursor.skipBlank();
    if (cursor.peek() === ';') cursor.pos++;
    else if (!(cursor.done || cursor.peek() === close || (close === '' && cursor.peek() === ']'))) {
      cursor.fail(`expected ';' after the value of ${name}, found ${JSON.stringify(cursor.peek())}`);
    }
    const previous = attributes.get(name);
    if (previous?.kind === 'ad' && value.kind === 'ad') {
      // loadJDLAsCFG raises KeyError here; merging or replacing would both guess.
      cursor.fail(`sub-ClassAd ${name} defined twice`, nameStart);
    }
    attributes.set(name, value);
  }
  return { attributes };
}

function parseValue(cursor: Cursor, terminators: string, depth: number, name: string): JdlValue {
  const start = cursor.pos;
  const c = cursor.peek();
  if (c === '"') {
    const end = cursor.text.indexOf('"', start + 1);
    if (end < 0) cursor.fail(`string value of ${name} is never closed (opened)`, start);
    cursor.pos = end + 1;
    const raw = cursor.text.slice(start, cursor.pos);
    return { kind: 'string', text: raw.slice(1, -1), raw };
  }
  if (c === '{') return parseList(cursor, depth, name);
  if (c === '[') {
    cursor.pos++;
    const ad = parseBody(cursor, ']', depth + 1);
    if (cursor.peek() !== ']') cursor.fail(`sub-ClassAd ${name} opened at ${cursor.where(start)} is never closed`);
    cursor.pos++;
    return { kind: 'ad', ad, raw: cursor.text.slice(start, cursor.pos) };
  }
  return parseBare(cursor, terminators, name);
}

function parseList(cursor: Cursor, depth: number, name: string): JdlValue {
  const start = cursor.pos;
  if (depth > MAX_DEPTH) cursor.fail(`lists nested deeper than ${MAX_DEPTH} levels`);
  cursor.pos++;
  const items: JdlValue[] = [];
  for (;;) {
    cursor.skipBlank();
    if (cursor.done || cursor.peek() === ']' || cursor.peek() === ';') {
      cursor.fail(`list value of ${name} opened at ${cursor.where(start)} is never closed`);
    }
    if (cursor.peek() === '}') {
      cursor.pos++;
      break;
    }
    if (cursor.peek() === ',' || cursor.peek() === ';') {
      cursor.fail(`empty item in the list value of ${name}`);
    }
    items.push(parseValue(cursor, ',};', depth + 1, name));
    cursor.skipBlank();
    if (cursor.peek() === ',') cursor.pos++;
    else if (cursor.peek() !== '}') {
      if (cursor.done || cursor.peek() === ';' || cursor.peek() === ']')
        cursor.fail(`list value of ${name} opened at ${cursor.where(start)} is never closed`);
      cursor.fail(`expected ',' or '}' in the list value of ${name}, found ${JSON.stringify(cursor.peek())}`);
    }
  }
  return { kind: 'list', items, raw: cursor.text.slice(start, cursor.pos) };
}

/** A bare token or expression: up to a terminator at depth 0, skipping over quotes and brackets. */
function parseBare(cursor: Cursor, terminators: string, name: string): JdlValue {
  const start = cursor.pos;
  const stack: string[] = [];
  const closers: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  while (!cursor.done) {
    const c = cursor.peek();
    if (stack.length === 0 && terminators.includes(c)) break;
    if (c === '"') {
      const end = cursor.text.indexOf('"', cursor.pos + 1);
      if (end < 0) cursor.fail(`string in the value of ${name} is never closed`);
      cursor.pos = end + 1;
      continue;
    }
    if (c in closers) stack.push(closers[c]!);
    else if (c === ')' || c === ']' || c === '}') {
      // An unmatched closer ends the value; the enclosing list or ad reports what is wrong.
      if (stack.length === 0) break;
      if (stack.pop() !== c) cursor.fail(`unbalanced ${JSON.stringify(c)} in the value of ${name}`);
    }
    cursor.pos++;
  }
  if (stack.length > 0) cursor.fail(`unclosed bracket in the value of ${name}`);
  const raw = cursor.text.slice(start, cursor.pos).trim();
  if (raw === '') cursor.fail(`attribute ${name} has no value`, start);
  // Both DIRAC parsers drop the quotes inside an unquoted value; `raw` keeps them.
  return { kind: 'bare', text: raw.replaceAll('"', ''), raw };
}

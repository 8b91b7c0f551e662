/**
 * A JSON reader that returns what Python's json.loads returns: integers stay exact (bigint past
 * 2**53), `1.0` stays a float when asked, NaN/Infinity literals are accepted, object key order
 * (including "10" before "9") and duplicate keys (last value, first position) behave as in a dict.
 */
import { CodecError, PyFloat, setOwn, type DecodeOptions, type PyValue } from './py-types.js';

export type ObjectHook = (entries: Map<string, PyValue>) => PyValue | undefined;

export function parsePythonJson(text: string, options: DecodeOptions = {}, hook?: ObjectHook): PyValue {
  const reader = new Reader(text, options, hook);
  reader.skipSpace();
  const value = reader.value(0);
  reader.skipSpace();
  if (reader.pos < text.length) reader.fail('unexpected data after the JSON value');
  return value;
}

const MAX_DEPTH = 512;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;

class Reader {
  pos = 0;
  constructor(
    readonly text: string,
    readonly options: DecodeOptions,
    readonly hook: ObjectHook | undefined,
  ) {}

  fail(message: string): never {
    throw new CodecError(`JSON: ${message} at character ${this.pos}`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos]!)) this.pos++;
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    for (const [literal, value] of LITERALS) {
      if (this.text.startsWith(literal, this.pos)) {
        this.pos += literal.length;
        return typeof value === 'number' && this.options.exact ? new PyFloat(value) : value;
      }
    }
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail(c === undefined ? 'unexpected end of input' : `unexpected ${JSON.stringify(c)}`);
    this.pos += match[0].length;
    if (match[1] === undefined && match[2] === undefined) {
      const big = BigInt(match[0]);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    const float = Number(match[0]);
    return this.options.exact ? new PyFloat(float) : float;
  }

  object(depth: number): PyValue {
    this.pos++;
    const entries = new Map<string, PyValue>();
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
    } else {
      for (;;) {
        this.skipSpace();
        if (this.text[this.pos] !== '"') this.fail('expected a string key');
        const key = this.string();
        this.skipSpace();
        if (this.text[this.pos] !== ':') this.fail("expected ':'");
        this.pos++;
        this.skipSpace();
        entries.set(key, this.value(depth + 1));
        this.skipSpace();
        const c = this.text[this.pos];
        this.pos++;
        if (c === '}') break;
        if (c !== ',') {
          this.pos--;
          this.fail("expected ',' or '}'");
        }
      }
    }
    const hooked = this.hook?.(entries);
    if (hooked !== undefined) return hooked;
    if (this.options.exact) return entries;
    const out: Record<string, PyValue> = {};
    for (const [key, value] of entries) setOwn(out, key, value);
    return out;
  }

  array(depth: number): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return items;
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value(depth + 1));
      this.skipSpace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') return items;
      if (c !== ',') {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  string(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) {
        this.pos = start;
        this.fail('unterminated string');
      }
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const e = this.text[this.pos + 1];
        if (e === 'u') {
          const hex = this.text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 6;
          continue;
        }
        const simple = e === undefined ? undefined : ESCAPES[e];
        if (simple === undefined) this.fail('invalid escape');
        out += simple;
        this.pos += 2;
        continue;
      }
      if (c < ' ') this.fail('control character in string');
      out += c;
      this.pos++;
    }
  }
}

const LITERALS: [string, PyValue][] = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['NaN', Number.NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
];

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

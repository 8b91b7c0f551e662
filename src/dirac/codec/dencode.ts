/**
 * DIRAC's DEncode (Core/Utilities/DEncode.py), the bencode-like encoding DIRAC v8 servers still
 * send over DIPS. Encoding is provided for tests and the dev server; decoding is what a pilot
 * needs to talk to older servers.
 */
import {
  CodecError,
  PyDate,
  PyDateTime,
  PyFloat,
  PyTime,
  PyTuple,
  isPlainObject,
  pythonFloatRepr,
  setOwn,
  type DecodeOptions,
  type PyKey,
  type PyValue,
} from './py-types.js';

const MAX_DEPTH = 512;

export function dencode(value: PyValue): Buffer {
  const parts: Buffer[] = [];
  encodeInto(value, parts, 0);
  return Buffer.concat(parts);
}

function encodeInto(value: PyValue, out: Buffer[], depth: number): void {
  if (depth > MAX_DEPTH) throw new CodecError('DEncode: value nested too deep');
  const ascii = (text: string): void => void out.push(Buffer.from(text, 'latin1'));
  if (value === null) return ascii('n');
  if (value === undefined) throw new CodecError('DEncode: undefined has no Python equivalent');
  if (typeof value === 'boolean') return ascii(value ? 'b1' : 'b0');
  if (typeof value === 'bigint') return ascii(`i${value}e`);
  if (typeof value === 'number') {
    return ascii(Number.isInteger(value) ? `i${BigInt(value)}e` : `f${pythonFloatRepr(value)}e`);
  }
  if (value instanceof PyFloat) return ascii(`f${pythonFloatRepr(value.value)}e`);
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    ascii(`s${bytes.length}:`);
    out.push(bytes);
    return;
  }
  if (value instanceof PyTuple || Array.isArray(value)) {
    const items = value instanceof PyTuple ? value.items : (value as readonly PyValue[]);
    ascii(value instanceof PyTuple ? 't' : 'l');
    for (const item of items) encodeInto(item, out, depth + 1);
    return ascii('e');
  }
  if (value instanceof Date) {
    // A Date is an instant (tz-aware); DIRAC's DEncode has no tz-aware form (KeyError there).
    throw new CodecError('DEncode: cannot encode a tz-aware datetime; pass a PyDateTime');
  }
  if (value instanceof PyDateTime) {
    const dt = value;
    ascii('za');
    return encodeInto(new PyTuple([dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond, null]), out, depth + 1);
  }
  if (value instanceof PyDate) {
    ascii('zd');
    return encodeInto(new PyTuple([value.year, value.month, value.day]), out, depth + 1);
  }
  if (value instanceof PyTime) {
    ascii('zt');
    return encodeInto(new PyTuple([value.hour, value.minute, value.second, value.microsecond, null]), out, depth + 1);
  }
  if (value instanceof Map) {
    ascii('d');
    for (const [key, item] of value as ReadonlyMap<PyKey, PyValue>) {
      encodeInto(key, out, depth + 1);
      encodeInto(item, out, depth + 1);
    }
    return ascii('e');
  }
  if (isPlainObject(value)) {
    ascii('d');
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      encodeInto(key, out, depth + 1);
      encodeInto(item, out, depth + 1);
    }
    return ascii('e');
  }
  throw new CodecError(`DEncode: cannot encode a value of type ${value.constructor?.name ?? typeof value}`);
}

/**
 * Decodes one value from the start of `data`; returns it with the index where it ended. Like DIRAC,
 * trailing bytes are ignored (the caller decides whether that is an error).
 */
export function ddecode(data: Uint8Array, options: DecodeOptions = {}): { value: PyValue; end: number } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length === 0) throw new CodecError('DEncode: empty input');
  const decoder = new Decoder(buf, options);
  const value = decoder.value(0, 0);
  return { value, end: decoder.end };
}

class Decoder {
  end = 0;
  constructor(
    readonly buf: Buffer,
    readonly options: DecodeOptions,
  ) {}

  fail(message: string, at: number): never {
    throw new CodecError(`DEncode: ${message} at byte ${at}`);
  }

  indexOf(char: string, from: number, what: string): number {
    const at = this.buf.indexOf(char, from, 'latin1');
    if (at < 0) this.fail(`unterminated ${what}`, from);
    return at;
  }

  value(pos: number, depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail('nesting too deep', pos);
    if (pos >= this.buf.length) this.fail('unexpected end of data', pos);
    const tag = String.fromCharCode(this.buf[pos]!);
    switch (tag) {
      case 'i':
      case 'I': {
        const end = this.indexOf('e', pos + 1, 'integer');
        this.end = end + 1;
        return parsePythonInt(this.buf.toString('latin1', pos + 1, end), () => this.fail('invalid integer', pos));
      }
      case 'f':
        return this.float(pos);
      case 'b':
        if (pos + 1 >= this.buf.length) this.fail('unexpected end of data', pos);
        this.end = pos + 2;
        return this.buf[pos + 1] !== 0x30;
      case 'n':
        this.end = pos + 1;
        return null;
      case 's':
      case 'u': {
        const colon = this.indexOf(':', pos + 1, 'string length');
        const lengthText = this.buf.toString('latin1', pos + 1, colon);
        if (!/^\d+$/.test(lengthText)) this.fail('invalid string length', pos);
        const end = colon + 1 + Number(lengthText);
        this.end = end;
        return decodeUtf8SurrogateEscape(this.buf.subarray(colon + 1, Math.min(end, this.buf.length)));
      }
      case 'l':
      case 't': {
        const items: PyValue[] = [];
        let at = pos + 1;
        while (this.buf[at] !== 0x65) {
          items.push(this.value(at, depth + 1));
          at = this.end;
        }
        this.end = at + 1;
        return tag === 't' && this.options.exact ? new PyTuple(items) : items;
      }
      case 'd':
        return this.dict(pos, depth);
      case 'z':
        return this.dateLike(pos, depth);
      default:
        return this.fail(`unknown type code ${JSON.stringify(tag)}`, pos);
    }
  }

  /** DIRAC reads up to the first 'e'; `e+`/`e-` there is an exponent, applied as mantissa × 10**exp. */
  float(pos: number): PyValue {
    const first = this.indexOf('e', pos + 1, 'float');
    let value: number;
    const next = this.buf[first + 1];
    if (next === 0x2b || next === 0x2d) {
      const end = this.indexOf('e', first + 1, 'float');
      const mantissa = parsePythonFloat(this.buf.toString('latin1', pos + 1, first));
      const exponent = parsePythonInt(this.buf.toString('latin1', first + 1, end), () => this.fail('invalid float exponent', pos));
      if (mantissa === undefined) this.fail('invalid float', pos);
      // Python's 10**exp is correctly rounded; JS `10 ** -5` is not, the literal is.
      value = mantissa * Number(`1e${exponent}`);
      this.end = end + 1;
    } else {
      const parsed = parsePythonFloat(this.buf.toString('latin1', pos + 1, first));
      if (parsed === undefined) this.fail('invalid float', pos);
      value = parsed;
      this.end = first + 1;
    }
    return this.options.exact ? new PyFloat(value) : value;
  }

  dict(pos: number, depth: number): PyValue {
    const entries = new Map<PyKey, PyValue>();
    let at = pos + 1;
    while (this.buf[at] !== 0x65) {
      if (at >= this.buf.length) this.fail('unterminated dict', pos);
      const key = this.value(at, depth + 1);
      const item = this.value(this.end, depth + 1);
      at = this.end;
      entries.set(
        toKey(key, this.options, () => this.fail('unhashable dict key', pos)),
        item,
      );
    }
    this.end = at + 1;
    if (this.options.exact) return entries;
    const out: Record<string, PyValue> = {};
    for (const [key, item] of entries) setOwn(out, keyText(key), item);
    return out;
  }

  dateLike(pos: number, depth: number): PyValue {
    const kind = String.fromCharCode(this.buf[pos + 1] ?? 0);
    const tuple = this.value(pos + 2, depth + 1);
    const items = tuple instanceof PyTuple ? tuple.items : tuple;
    if (!Array.isArray(items) || !items.slice(0, -1).every((n) => typeof n === 'number')) this.fail('invalid date tuple', pos);
    const n = items as number[];
    if (kind === 'a' && n.length >= 7) return new PyDateTime(n[0]!, n[1]!, n[2]!, n[3], n[4], n[5], n[6]);
    if (kind === 'd' && n.length >= 3) return new PyDate(n[0]!, n[1]!, n[2]!);
    if (kind === 't' && n.length >= 4) return new PyTime(n[0]!, n[1]!, n[2]!, n[3]);
    return this.fail(`invalid date/time code z${kind}`, pos);
  }
}

function toKey(key: PyValue, options: DecodeOptions, fail: () => never): PyKey {
  if (key === null || typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return key;
  if (key instanceof PyFloat || key instanceof PyTuple) return key;
  if (Array.isArray(key) && !options.exact) return new PyTuple(key);
  return fail();
}

function keyText(key: PyKey): string {
  if (key instanceof PyFloat) return pythonFloatRepr(key.value);
  if (key instanceof PyTuple) return JSON.stringify(key.items);
  return String(key);
}

/** Python int(): surrounding whitespace and digit-separating underscores allowed. */
function parsePythonInt(text: string, fail: () => never): number | bigint {
  const trimmed = text.trim();
  if (!/^[+-]?\d(?:_?\d)*$/.test(trimmed)) fail();
  const big = BigInt(trimmed.replaceAll('_', ''));
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function parsePythonFloat(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return Number.NaN;
  if (!/^[+-]?(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:e[+-]?\d(?:_?\d)*)?$/.test(t) || !/\d/.test(t.split('e')[0]!)) return undefined;
  return Number(t.replaceAll('_', ''));
}

/** UTF-8 as Python decodes it with errors='surrogateescape': each invalid byte b becomes U+DC00+b. */
export function decodeUtf8SurrogateEscape(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const [need, min] =
      b >= 0xc2 && b <= 0xdf ? [1, 0x80] : b >= 0xe0 && b <= 0xef ? [2, 0x800] : b >= 0xf0 && b <= 0xf4 ? [3, 0x10000] : [0, 0];
    let code = need === 1 ? b & 0x1f : need === 2 ? b & 0x0f : b & 0x07;
    let ok = need > 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else code = (code << 6) | (c & 0x3f);
    }
    if (ok && (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))) ok = false;
    if (!ok) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    out += String.fromCodePoint(code);
    i += need + 1;
  }
  return out;
}

/**
 * DIRAC's JEncode (Core/Utilities/JEncode.py), the default wire encoding of DIPS and the HTTPS
 * services: Python json.dumps output, byte for byte (`", "`/`": "` separators, ASCII-only
 * escapes, Python float repr), plus `__dCls` markers for datetime, date and bytes.
 */
import { parsePythonJson } from './python-json.js';
import {
  CodecError,
  PyDate,
  PyDateTime,
  PyFloat,
  PyTime,
  PyTuple,
  isPlainObject,
  pythonFloatRepr,
  type DecodeOptions,
  type PyKey,
  type PyValue,
} from './py-types.js';

export function jencode(value: PyValue): string {
  return encodeValue(value, 0);
}

/** Returns the value and, as DIRAC does, the length of the whole input. */
export function jdecode(text: string, options: DecodeOptions = {}): { value: PyValue; length: number } {
  const value = parsePythonJson(text, options, (entries) => (entries.has('__dCls') ? decodeMarker(entries) : undefined));
  return { value, length: text.length };
}

const MAX_DEPTH = 512;

function encodeValue(value: PyValue, depth: number): string {
  if (depth > MAX_DEPTH) throw new CodecError('JEncode: value nested too deep');
  if (value === null) return 'null';
  if (value === undefined) throw new CodecError('JEncode: undefined has no Python equivalent');
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : jsonFloat(value);
  if (typeof value === 'string') return encodeString(value);
  if (value instanceof PyFloat) return jsonFloat(value.value);
  if (value instanceof PyTuple) return encodeList(value.items, depth);
  if (Array.isArray(value)) return encodeList(value, depth);
  if (value instanceof Date) return marker('dt', formatDateTime(PyDateTime.fromDate(value)));
  if (value instanceof PyDateTime) return marker('dt', formatDateTime(value));
  if (value instanceof PyDate) return marker('date', formatDate(value));
  if (value instanceof Uint8Array) return marker('b64', Buffer.from(value).toString('base64'));
  if (value instanceof PyTime) throw new CodecError('JEncode: Object of type time is not JSON serializable');
  if (value instanceof Map) {
    const parts: string[] = [];
    for (const [key, item] of value as ReadonlyMap<PyKey, PyValue>) parts.push(`${encodeKey(key)}: ${encodeValue(item, depth + 1)}`);
    return `{${parts.join(', ')}}`;
  }
  if (isPlainObject(value)) {
    const parts: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      parts.push(`${encodeString(key)}: ${encodeValue(item, depth + 1)}`);
    }
    return `{${parts.join(', ')}}`;
  }
  throw new CodecError(`JEncode: Object of type ${value.constructor?.name ?? typeof value} is not JSON serializable`);
}

function encodeList(items: readonly PyValue[], depth: number): string {
  return `[${items.map((item) => encodeValue(item, depth + 1)).join(', ')}]`;
}

/** json.dumps turns int/float/bool/None keys into their JSON text; anything else is a TypeError. */
function encodeKey(key: PyKey): string {
  if (typeof key === 'string') return encodeString(key);
  if (key === null) return '"null"';
  if (typeof key === 'boolean') return key ? '"true"' : '"false"';
  if (typeof key === 'bigint') return `"${key}"`;
  if (typeof key === 'number') return `"${Number.isInteger(key) ? BigInt(key).toString() : jsonFloat(key)}"`;
  if (key instanceof PyFloat) return `"${jsonFloat(key.value)}"`;
  throw new CodecError('JEncode: keys must be str, int, float, bool or None, not tuple');
}

function jsonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return pythonFloatRepr(value);
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** json.dumps with ensure_ascii: every non-printable-ASCII UTF-16 unit becomes \uXXXX. */
function encodeString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const code = text.charCodeAt(i);
    const short = SHORT_ESCAPES[c];
    if (short !== undefined) out += short;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

function marker(kind: string, obj: string): string {
  return `{"__dCls": "${kind}", "obj": ${encodeString(obj)}}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** strftime('%Y-%m-%d %H:%M:%S'): microseconds dropped, the year not zero-padded (glibc). */
function formatDateTime(dt: PyDateTime): string {
  return `${dt.year}-${pad2(dt.month)}-${pad2(dt.day)} ${pad2(dt.hour)}:${pad2(dt.minute)}:${pad2(dt.second)}`;
}

function formatDate(d: PyDate): string {
  return `${d.year}-${pad2(d.month)}-${pad2(d.day)}`;
}

const DATETIME = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/;
const DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;

/** JEncode's object hook: any dict with `__dCls` is converted, as DIRAC does. */
function decodeMarker(entries: Map<string, PyValue>): PyValue {
  const kind = entries.get('__dCls');
  const obj = entries.get('obj');
  if (kind === 'b64' && typeof obj === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(obj)) throw new CodecError('JEncode: b64 marker with invalid base64');
    return new Uint8Array(Buffer.from(obj, 'base64'));
  }
  if (kind === 'dt' && typeof obj === 'string') {
    const m = DATETIME.exec(obj);
    if (!m) throw new CodecError(`JEncode: datetime ${JSON.stringify(obj)} does not match '%Y-%m-%d %H:%M:%S'`);
    const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
    checkDate(y, mo, d, obj);
    if (h > 23 || mi > 59 || s > 61) throw new CodecError(`JEncode: datetime ${JSON.stringify(obj)} is out of range`);
    return new PyDateTime(y, mo, d, h, mi, s);
  }
  if (kind === 'date' && typeof obj === 'string') {
    const m = DATE.exec(obj);
    if (!m) throw new CodecError(`JEncode: date ${JSON.stringify(obj)} does not match '%Y-%m-%d'`);
    const [y, mo, d] = m.slice(1).map(Number) as [number, number, number];
    checkDate(y, mo, d, obj);
    return new PyDate(y, mo, d);
  }
  throw new CodecError(`JEncode: unsupported class marker __dCls=${JSON.stringify(kind)}`);
}

function checkDate(y: number, m: number, d: number, text: string): void {
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  if (y < 1 || days === undefined || d < 1 || d > days) {
    throw new CodecError(`JEncode: date ${JSON.stringify(text)} is out of range`);
  }
}

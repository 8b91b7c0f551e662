/**
 * The vectors' "tagged" JSON form of Python values (tests/fixtures/dirac-legacy-vectors/README.md)
 * converted to and from the codec's PyValue model, so golden tests compare exact Python types.
 */
import { PyDate, PyDateTime, PyFloat, PyTime, PyTuple, pythonFloatRepr, type PyKey, type PyValue } from '../../src/dirac/codec/index.js';

export type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged };

function floatFromRepr(repr: string): number {
  if (repr === 'nan') return Number.NaN;
  if (repr === 'inf') return Infinity;
  if (repr === '-inf') return -Infinity;
  return Number(repr);
}

/** Tagged → PyValue. A tz-aware datetime becomes a JS Date (an instant), a naive one a PyDateTime. */
export function fromTagged(tagged: Tagged): PyValue {
  if (tagged === null || typeof tagged !== 'object') return tagged;
  if (Array.isArray(tagged)) return tagged.map(fromTagged);
  const t = tagged as Record<string, Tagged>;
  if ('$bigint' in t) return BigInt(t.$bigint as string);
  if ('$float' in t) return new PyFloat(floatFromRepr(t.$float as string));
  if ('$tuple' in t) return new PyTuple((t.$tuple as Tagged[]).map(fromTagged));
  if ('$dict' in t) return new Map((t.$dict as [Tagged, Tagged][]).map(([k, v]) => [fromTagged(k) as PyKey, fromTagged(v)]));
  if ('$bytes_hex' in t) return new Uint8Array(Buffer.from(t.$bytes_hex as string, 'hex'));
  if ('$set' in t) return new Set((t.$set as Tagged[]).map(fromTagged)) as unknown as PyValue;
  if ('$datetime' in t) {
    const iso = t.$datetime as string;
    if (/[+-]\d\d:\d\d$|Z$/.test(iso)) return new Date(iso);
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{6}))?$/.exec(iso)!;
    const n = m.slice(1).map((x) => Number(x ?? 0));
    return new PyDateTime(n[0]!, n[1]!, n[2]!, n[3], n[4], n[5], n[6]);
  }
  if ('$date' in t) {
    const [y, m, d] = (t.$date as string).split('-').map(Number);
    return new PyDate(y!, m!, d!);
  }
  if ('$time' in t) {
    const [h, m, s] = (t.$time as string).split(':').map(Number);
    return new PyTime(h!, m!, s!);
  }
  const out: Record<string, PyValue> = {};
  for (const [key, value] of Object.entries(t)) out[key] = fromTagged(value);
  return out;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** PyValue (decoded with exact: true) → tagged, for comparison with a vector's `decoded`. */
export function toTagged(value: PyValue): Tagged {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : { $bigint: value.toString() };
  }
  if (value instanceof PyFloat) return { $float: pythonFloatRepr(value.value) };
  if (value instanceof PyTuple) return { $tuple: value.items.map(toTagged) };
  if (value instanceof Uint8Array) {
    const buf = Buffer.from(value);
    return { $bytes_hex: buf.toString('hex'), $bytes_latin1: buf.toString('latin1') };
  }
  if (value instanceof PyDateTime) {
    const us = value.microsecond ? `.${pad(value.microsecond, 6)}` : '';
    return {
      $datetime: `${pad(value.year, 4)}-${pad(value.month)}-${pad(value.day)}T${pad(value.hour)}:${pad(value.minute)}:${pad(value.second)}${us}`,
    };
  }
  if (value instanceof PyDate) return { $date: `${pad(value.year, 4)}-${pad(value.month)}-${pad(value.day)}` };
  if (value instanceof PyTime) return { $time: `${pad(value.hour)}:${pad(value.minute)}:${pad(value.second)}` };
  if (Array.isArray(value)) return value.map(toTagged);
  if (value instanceof Map) {
    const entries = [...value.entries()];
    const plain = entries.every(([k]) => typeof k === 'string' && !/^(0|[1-9]\d*)$/.test(k));
    if (plain) return Object.fromEntries(entries.map(([k, v]) => [k, toTagged(v)]));
    return { $dict: entries.map(([k, v]) => [toTagged(k as PyValue), toTagged(v)]) };
  }
  return Object.fromEntries(Object.entries(value as Record<string, PyValue>).map(([k, v]) => [k, toTagged(v)]));
}

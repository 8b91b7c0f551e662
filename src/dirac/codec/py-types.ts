/**
 * JavaScript stand-ins for the Python types DIRAC's wire encodings distinguish. Plain JS values
 * cover most traffic (a JS integer number is a Python int, a non-integer a float, an array a list,
 * an object or a Map a dict); these classes carry what JS cannot say on its own.
 */

/** A Python float even when integral: `new PyFloat(1)` encodes as `1.0`, not `1`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A Python tuple: JEncode writes it as a list, DEncode keeps it (`t...e`). */
export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** A naive datetime (DIRAC means UTC) with microseconds, as DEncode carries them. */
export class PyDateTime {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour = 0,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
  ) {}

  static fromDate(date: Date): PyDateTime {
    return new PyDateTime(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds() * 1000,
    );
  }

  toDate(): Date {
    const date = new Date(
      Date.UTC(2000, this.month - 1, this.day, this.hour, this.minute, this.second, Math.floor(this.microsecond / 1000)),
    );
    date.setUTCFullYear(this.year);
    return date;
  }
}

export class PyDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {}
}

export class PyTime {
  constructor(
    readonly hour: number,
    readonly minute: number,
    readonly second: number,
    readonly microsecond = 0,
  ) {}
}

export type PyKey = string | number | bigint | boolean | null | PyFloat | PyTuple;

export type PyValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | PyTuple
  | PyDateTime
  | PyDate
  | PyTime
  | Date
  | Uint8Array
  | readonly PyValue[]
  | ReadonlyMap<PyKey, PyValue>
  | { readonly [key: string]: PyValue };

/** A malformed or unsupported encoded value; one line naming what was wrong. */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

export interface DecodeOptions {
  /**
   * Keep Python types: floats as PyFloat, dicts as Map (key order and key types kept), tuples as
   * PyTuple. Off by default: floats are numbers, dicts plain objects, tuples arrays.
   */
  exact?: boolean;
}

/** Python's repr() of a float, which both encodings use: `1.0`, `1e+16`, `1.5e-07`, `-0.0`. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // toExponential() with no argument gives the shortest round-trip digits, as repr does.
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${body}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${intPart}.${fraction === '' ? '0' : fraction}`;
}

export function isPlainObject(value: unknown): value is Record<string, PyValue> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets a key on a plain object without ever touching its prototype (`__proto__` is data here). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

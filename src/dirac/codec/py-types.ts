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

// Python's float repr lives in core: the job agent also writes it (MatcherServiceTime, as str(float)).
export { pythonFloatRepr } from '../../core/python-float.js';

export function isPlainObject(value: unknown): value is Record<string, PyValue> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets a key on a plain object without ever touching its prototype (`__proto__` is data here). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

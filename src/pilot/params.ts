import type { z } from 'zod';
import { OPTIONS, type OptionSpec, type Params } from './options.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

export type { Params } from './options.js';

/**
 * The pilot's parameters, merged defaults < pilot.json < environment < command line (DIRAC reads
 * the command line twice so that it wins over pilot.json; merging in that order gives the same
 * result in one pass), each validated by its option's schema (options.ts).
 *
 * One zod object of every field would be the obvious form, but building its ~200 schema objects
 * (each binds two dozen methods) and compiling their parse paths was a sizeable part of every start
 * (docs/decisions/measurements.md). So each option holds a schema factory and its default: a start builds
 * the schemas of the options it was given (usually a handful) and copies the defaults of the rest.
 *
 * zod itself is loaded only when a given value needs a schema: flags are booleans and most
 * options plain strings by the time they get here (coerceOptionValue, or JSON), which z.boolean()
 * and z.string() would return unchanged, so `pilot probe --json` starts without zod at all (what
 * that saves: docs/decisions/measurements.md and docs/decisions/standalone-executables.md).
 */
type Zod = typeof z;

/** True for a value the option's schema would return unchanged; such values skip zod. */
function isPlain(spec: OptionSpec, value: unknown): boolean {
  if (spec.schema === 'text') return typeof value === 'string';
  if (spec.schema === 'bool') return typeof value === 'boolean';
  return false;
}

function schemaOf(spec: OptionSpec, zod: Zod): z.ZodTypeAny {
  if (spec.schema === 'text') return zod.string();
  if (spec.schema === 'bool') return zod.boolean();
  return spec.schema(zod);
}

/** A fresh copy of a default: defaults are primitives, string lists or an empty record. */
function copyDefault(value: unknown): unknown {
  if (Array.isArray(value)) return [...(value as unknown[])];
  if (typeof value === 'object' && value !== null) return { ...value };
  return value;
}

/** Values gathered from one source (command line, environment, pilot.json), not yet validated. */
export type RawParams = Record<string, unknown>;

const TRUE_WORDS = new Set(['true', 'yes', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'off']);

/** Turns one textual value into the option's type; `where` names the source for the error. */
export function coerceOptionValue(spec: OptionSpec, text: string, where: string): unknown {
  switch (spec.type) {
    case 'string':
      if (text === '') throw usage(`${where}: empty value`);
      return text;
    case 'integer': {
      if (!/^-?\d+$/.test(text.trim())) throw usage(`${where}: expected an integer, got '${text}'`);
      return Number.parseInt(text, 10);
    }
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw usage(`${where}: expected a number, got '${text}'`);
      return n;
    }
    case 'boolean':
    case 'flag': {
      const word = text.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      throw usage(`${where}: expected True or False, got '${text}'`);
    }
    case 'list':
    case 'repeat':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'append':
      if (text.trim() === '') throw usage(`${where}: empty value`);
      return [text];
    case 'keyvalue': {
      const out: Record<string, string> = {};
      for (const pair of text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw usage(`${where}: expected key=value, got '${pair}'`);
        out[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      return out;
    }
  }
}

function usage(message: string): PilotError {
  return new PilotError(ExitCode.USAGE, message);
}

/** Parameters from environment variables named in the option table. */
export function paramsFromEnv(env: NodeJS.ProcessEnv): RawParams {
  const out: RawParams = {};
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    if (!spec.env) continue;
    const value = env[spec.env];
    if (value === undefined || value === '') continue;
    out[spec.key] = coerceOptionValue(spec, value, `environment ${spec.env}`);
  }
  return out;
}

/** Merges sources (later wins; lists from a later source replace earlier ones) and validates. */
export async function resolveParams(...sources: RawParams[]): Promise<Params> {
  const merged: RawParams = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined) merged[key] = value;
    }
  }
  const params: Record<string, unknown> = {};
  const needSchema: [spec: OptionSpec, value: unknown][] = [];
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    const value = merged[spec.key];
    if (value === undefined) {
      if (spec.default !== undefined) params[spec.key] = copyDefault(spec.default);
    } else if (isPlain(spec, value)) {
      params[spec.key] = value;
    } else {
      needSchema.push([spec, value]);
    }
  }
  if (needSchema.length > 0) {
    const { z: zod } = await import('zod');
    for (const [spec, value] of needSchema) {
      const result = schemaOf(spec, zod).safeParse(value);
      if (!result.success) throw usage(`--${spec.long}: ${result.error.issues[0]?.message ?? 'invalid value'}`);
      params[spec.key] = result.data;
    }
  }
  return params as Params;
}

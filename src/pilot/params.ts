import type { z } from 'zod';
import { OPTIONS, type OptionSpec } from './options.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/**
 * The pilot's parameters, merged defaults < pilot.json < environment < command line (DIRAC reads
 * the command line twice so that it wins over pilot.json; merging in that order gives the same
 * result in one pass), each validated by its zod schema.
 *
 * One zod object of every field would be the obvious form, but building its ~200 schema objects
 * (each binds two dozen methods) and compiling their parse paths was 5 ms of every start, an
 * eighth of `pilot probe`. So each field is a schema factory plus its default: a start builds the
 * schemas of the fields it was given (usually a handful) and copies the defaults of the rest.
 *
 * zod itself is loaded only when a given value needs a schema: flags are booleans and most
 * options plain strings by the time they get here (coerceOptionValue, or JSON), which z.boolean()
 * and z.string() would return unchanged, so `pilot probe --json` starts without zod at all
 * (about 0.9 ms, and 56 KB of the lite bundle's code cache: docs/decisions/standalone-executables.md).
 */
type Zod = typeof z;

interface Field<T extends z.ZodTypeAny, D> {
  make: (zod: Zod) => T;
  fallback: D;
  /** True for a value the schema would return unchanged; such values skip zod. */
  plain?: (value: unknown) => boolean;
}

function field<T extends z.ZodTypeAny>(make: (zod: Zod) => T): Field<T, undefined>;
function field<T extends z.ZodTypeAny>(make: (zod: Zod) => T, fallback: z.output<T>): Field<T, z.output<T>>;
function field<T extends z.ZodTypeAny>(make: (zod: Zod) => T, fallback?: z.output<T>): Field<T, z.output<T> | undefined> {
  return { make, fallback };
}

const isBoolean = (value: unknown): boolean => typeof value === 'boolean';
const isString = (value: unknown): boolean => typeof value === 'string';

/** z.boolean(), with or without a default. */
function flag(): Field<z.ZodBoolean, undefined>;
function flag(fallback: boolean): Field<z.ZodBoolean, boolean>;
function flag(fallback?: boolean): Field<z.ZodBoolean, boolean | undefined> {
  return { make: (zod) => zod.boolean(), fallback, plain: isBoolean };
}

/** z.string(), with or without a default. */
function text(): Field<z.ZodString, undefined>;
function text(fallback: string): Field<z.ZodString, string>;
function text(fallback?: string): Field<z.ZodString, string | undefined> {
  return { make: (zod) => zod.string(), fallback, plain: isString };
}

const FIELDS = {
  site: field((z) => z.string().min(1), 'Unknown'),
  ce: text(''),
  queue: text(''),
  gridCEType: text('DIRAC'),
  ceType: text('Pool'),
  commands: field((z) => z.array(z.string().min(1)).min(1)),
  commandOptions: field((z) => z.record(z.string()), {}),
  commandExtensions: field((z) => z.array(z.string()), []),
  pilotCFGFile: text(),
  configurationServers: field((z) => z.array(z.string().url()), []),
  setup: text(),
  debug: flag(false),
  pilotLogging: flag(false),
  loggerURL: text(),
  minDiskMB: field((z) => z.number().int().nonnegative(), 2560),
  maxCycles: field((z) => z.number().int().positive()),
  pollingTime: field((z) => z.number().positive(), 20),
  stopOnApplicationFailure: flag(),
  stopAfterFailedMatches: field((z) => z.number().int().nonnegative()),
  processors: field((z) => z.number().int().positive()),
  cpuTime: field((z) => z.number().nonnegative()),
  ownerGroup: text(),
  vo: field((z) => z.string().min(1)),
  pilotUUID: field((z) => z.string().min(1).max(32).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')),
  tags: field((z) => z.array(z.string().min(1)), []),
  requiredTags: field((z) => z.array(z.string().min(1)), []),
  cvmfsLocations: field((z) => z.array(z.string().min(1)), ['/cvmfs/grid.cern.ch', '/cvmfs/dirac.egi.eu']),
  requiredCvmfs: field((z) => z.array(z.string().min(1)), []),
  releaseVersion: text('v9.0.0'),
  releaseProject: text(),
  backend: field((z) => z.enum(['diracx', 'dirac']), 'diracx'),
  diracxUrl: field((z) => z.string().url()),
  caPath: text(),
  credentialsFile: text(),
  proxyFile: text(),
  pilotSecretFile: text(),
  insecure: flag(false),
  matchPath: field((z) => z.string().startsWith('/'), '/api/jobs/match'),
  workDir: text(),
  dryRun: flag(false),
  json: flag(false),
  sysroot: text(),
  runner: field((z) => z.enum(['auto', 'apptainer', 'direct']), 'auto'),
  containerImage: text('/cvmfs/cernvm-prod.cern.ch/cvm4'),
  apptainerBinary: text(),
  containerBinds: field((z) => z.array(z.string().min(1)), []),
  diracImage: text(),
  diracEnvironment: text(),
  drainFile: text('/var/lib/dirac_drain'),
  minimumTimeLeft: field((z) => z.number().nonnegative(), 5000),
  maxCPUTime: field((z) => z.number().nonnegative(), 0),
  queueCPUTime: field((z) => z.number().nonnegative()),
  cpuPowerSource: field((z) => z.enum(['db12', 'mjf', 'config']), 'db12'),
  cpuPower: field((z) => z.number().positive()),
  cpuNormalizationCorrection: field((z) => z.number().positive(), 1),
  heartbeatSeconds: field((z) => z.number().positive(), 60),
  lifetimeSeconds: field((z) => z.number().positive()),
  maxStdoutMB: field((z) => z.number().positive(), 1024),
  stalledSeconds: field((z) => z.number().positive(), 1800),
  loopingSeconds: field((z) => z.number().positive(), 7200),
  killGraceSeconds: field((z) => z.number().nonnegative(), 10),
  blackHoleThreshold: field((z) => z.number().int().positive(), 3),
  job: text(),
  edge: flag(false),
  edgeDir: text(),
  edgePartition: text(),
  edgeCpus: field((z) => z.number().int().positive(), 1),
  edgeMemoryMB: field((z) => z.number().int().positive()),
  edgeGpus: field((z) => z.number().int().nonnegative(), 0),
  edgeTimeLimit: field((z) => z.number().int().positive()),
  edgeGroupSize: field((z) => z.number().int().positive(), 1),
  edgeMaxAllocations: field((z) => z.number().int().positive(), 4),
  edgeStaleSeconds: field((z) => z.number().positive()),
  edgeComputePrefix: text(),
  edgePilotCommand: text(),
  staged: field((z) => z.array(z.string().min(1)), []),
};

type Fields = typeof FIELDS;
type Output<K extends keyof Fields> = z.output<ReturnType<Fields[K]['make']>>;
type DefaultedKey = { [K in keyof Fields]: Fields[K]['fallback'] extends undefined ? never : K }[keyof Fields];
type OptionalKey = Exclude<keyof Fields, DefaultedKey>;

export type Params = { [K in DefaultedKey]: Output<K> } & { [K in OptionalKey]?: Output<K> };

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
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'keyvalue': {
      const out: Record<string, string> = {};
      for (const pair of text.split(',').map((s) => s.trim()).filter(Boolean)) {
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
  for (const spec of OPTIONS) {
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
  const needSchema: [key: string, field: Field<z.ZodTypeAny, unknown>, value: unknown][] = [];
  for (const [key, entry] of Object.entries(FIELDS) as [string, Field<z.ZodTypeAny, unknown>][]) {
    const value = merged[key];
    if (value === undefined) {
      const { fallback } = entry;
      // Defaults are primitives, string lists or an empty record: a shallow copy keeps them unshared.
      if (fallback !== undefined) params[key] = Array.isArray(fallback) ? [...fallback] : typeof fallback === 'object' && fallback !== null ? { ...fallback } : fallback;
      continue;
    }
    if (entry.plain?.(value)) params[key] = value;
    else needSchema.push([key, entry, value]);
  }
  if (needSchema.length > 0) {
    const { z: zod } = await import('zod');
    for (const [key, entry, value] of needSchema) {
      const result = entry.make(zod).safeParse(value);
      if (!result.success) {
        const spec = OPTIONS.find((o) => o.key === key);
        throw usage(`${spec ? `--${spec.long}` : key}: ${result.error.issues[0]?.message ?? 'invalid value'}`);
      }
      params[key] = result.data;
    }
  }
  return params as Params;
}

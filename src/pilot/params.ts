import { z } from 'zod';
import { OPTIONS, type OptionSpec } from './options.js';
import { PilotError } from './errors.js';
import { ExitCode } from './exit-codes.js';

/**
 * The pilot's parameters, merged defaults < pilot.json < environment < command line (DIRAC reads
 * the command line twice so that it wins over pilot.json; merging in that order gives the same
 * result in one pass), each validated by its zod schema.
 *
 * One zod object of every field would be the obvious form, but building its ~200 schema objects
 * (each binds two dozen methods) and compiling their parse paths was 5 ms of every start, an
 * eighth of `pilot probe`. So each field is a schema factory plus its default: a start builds the
 * schemas of the fields it was given (usually a handful) and copies the defaults of the rest.
 */
interface Field<T extends z.ZodTypeAny, D> {
  make: () => T;
  fallback: D;
}

function field<T extends z.ZodTypeAny>(make: () => T): Field<T, undefined>;
function field<T extends z.ZodTypeAny>(make: () => T, fallback: z.output<T>): Field<T, z.output<T>>;
function field<T extends z.ZodTypeAny>(make: () => T, fallback?: z.output<T>): Field<T, z.output<T> | undefined> {
  return { make, fallback };
}

const FIELDS = {
  site: field(() => z.string().min(1), 'Unknown'),
  ce: field(() => z.string(), ''),
  queue: field(() => z.string(), ''),
  gridCEType: field(() => z.string(), 'DIRAC'),
  ceType: field(() => z.string(), 'Pool'),
  commands: field(() => z.array(z.string().min(1)).min(1)),
  commandOptions: field(() => z.record(z.string()), {}),
  commandExtensions: field(() => z.array(z.string()), []),
  pilotCFGFile: field(() => z.string()),
  configurationServers: field(() => z.array(z.string().url()), []),
  setup: field(() => z.string()),
  debug: field(() => z.boolean(), false),
  pilotLogging: field(() => z.boolean(), false),
  loggerURL: field(() => z.string()),
  minDiskMB: field(() => z.number().int().nonnegative(), 2560),
  maxCycles: field(() => z.number().int().positive()),
  pollingTime: field(() => z.number().positive(), 20),
  stopOnApplicationFailure: field(() => z.boolean()),
  stopAfterFailedMatches: field(() => z.number().int().nonnegative()),
  processors: field(() => z.number().int().positive()),
  cpuTime: field(() => z.number().nonnegative()),
  ownerGroup: field(() => z.string()),
  vo: field(() => z.string().min(1)),
  pilotUUID: field(() => z.string().min(1).max(32).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')),
  tags: field(() => z.array(z.string().min(1)), []),
  requiredTags: field(() => z.array(z.string().min(1)), []),
  cvmfsLocations: field(() => z.array(z.string().min(1)), ['/cvmfs/grid.cern.ch', '/cvmfs/dirac.egi.eu']),
  requiredCvmfs: field(() => z.array(z.string().min(1)), []),
  releaseVersion: field(() => z.string(), 'v9.0.0'),
  releaseProject: field(() => z.string()),
  backend: field(() => z.enum(['diracx', 'dirac']), 'diracx'),
  diracxUrl: field(() => z.string().url()),
  caPath: field(() => z.string()),
  credentialsFile: field(() => z.string()),
  proxyFile: field(() => z.string()),
  pilotSecretFile: field(() => z.string()),
  insecure: field(() => z.boolean(), false),
  matchPath: field(() => z.string().startsWith('/'), '/api/jobs/match'),
  workDir: field(() => z.string()),
  dryRun: field(() => z.boolean(), false),
  json: field(() => z.boolean(), false),
  sysroot: field(() => z.string()),
  runner: field(() => z.enum(['auto', 'apptainer', 'direct']), 'auto'),
  containerImage: field(() => z.string(), '/cvmfs/cernvm-prod.cern.ch/cvm4'),
  apptainerBinary: field(() => z.string()),
  containerBinds: field(() => z.array(z.string().min(1)), []),
  diracImage: field(() => z.string()),
  diracEnvironment: field(() => z.string()),
  drainFile: field(() => z.string(), '/var/lib/dirac_drain'),
  minimumTimeLeft: field(() => z.number().nonnegative(), 5000),
  maxCPUTime: field(() => z.number().nonnegative(), 0),
  queueCPUTime: field(() => z.number().nonnegative()),
  cpuPowerSource: field(() => z.enum(['db12', 'mjf', 'config']), 'db12'),
  cpuPower: field(() => z.number().positive()),
  cpuNormalizationCorrection: field(() => z.number().positive(), 1),
  heartbeatSeconds: field(() => z.number().positive(), 60),
  lifetimeSeconds: field(() => z.number().positive()),
  maxStdoutMB: field(() => z.number().positive(), 1024),
  stalledSeconds: field(() => z.number().positive(), 1800),
  loopingSeconds: field(() => z.number().positive(), 7200),
  killGraceSeconds: field(() => z.number().nonnegative(), 10),
  blackHoleThreshold: field(() => z.number().int().positive(), 3),
  job: field(() => z.string()),
  edge: field(() => z.boolean(), false),
  edgeDir: field(() => z.string()),
  edgePartition: field(() => z.string()),
  edgeCpus: field(() => z.number().int().positive(), 1),
  edgeMemoryMB: field(() => z.number().int().positive()),
  edgeGpus: field(() => z.number().int().nonnegative(), 0),
  edgeTimeLimit: field(() => z.number().int().positive()),
  edgeGroupSize: field(() => z.number().int().positive(), 1),
  edgeMaxAllocations: field(() => z.number().int().positive(), 4),
  edgeStaleSeconds: field(() => z.number().positive()),
  edgeComputePrefix: field(() => z.string()),
  edgePilotCommand: field(() => z.string()),
  staged: field(() => z.array(z.string().min(1)), []),
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
export function resolveParams(...sources: RawParams[]): Params {
  const merged: RawParams = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined) merged[key] = value;
    }
  }
  const params: Record<string, unknown> = {};
  for (const [key, { make, fallback }] of Object.entries(FIELDS) as [string, Field<z.ZodTypeAny, unknown>][]) {
    const value = merged[key];
    if (value === undefined) {
      // Defaults are primitives, string lists or an empty record: a shallow copy keeps them unshared.
      if (fallback !== undefined) params[key] = Array.isArray(fallback) ? [...fallback] : typeof fallback === 'object' && fallback !== null ? { ...fallback } : fallback;
      continue;
    }
    const result = make().safeParse(value);
    if (!result.success) {
      const spec = OPTIONS.find((o) => o.key === key);
      throw usage(`${spec ? `--${spec.long}` : key}: ${result.error.issues[0]?.message ?? 'invalid value'}`);
    }
    params[key] = result.data;
  }
  return params as Params;
}

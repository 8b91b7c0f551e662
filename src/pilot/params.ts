import { z } from 'zod';
import { OPTIONS, type OptionSpec } from './options.js';
import { PilotError } from './errors.js';
import { ExitCode } from './exit-codes.js';

/**
 * The pilot's parameters: one zod schema, merged defaults < pilot.json < environment < command line
 * (DIRAC reads the command line twice so that it wins over pilot.json; merging in that order gives
 * the same result in one pass).
 */
export const paramsSchema = z.object({
  site: z.string().min(1).default('Unknown'),
  ce: z.string().default(''),
  queue: z.string().default(''),
  gridCEType: z.string().default('DIRAC'),
  ceType: z.string().default('Pool'),
  commands: z.array(z.string().min(1)).min(1).optional(),
  commandOptions: z.record(z.string()).default({}),
  commandExtensions: z.array(z.string()).default([]),
  pilotCFGFile: z.string().optional(),
  configurationServers: z.array(z.string().url()).default([]),
  setup: z.string().optional(),
  debug: z.boolean().default(false),
  pilotLogging: z.boolean().default(false),
  loggerURL: z.string().optional(),
  minDiskMB: z.number().int().nonnegative().default(2560),
  maxCycles: z.number().int().positive().optional(),
  pollingTime: z.number().positive().default(20),
  stopOnApplicationFailure: z.boolean().optional(),
  stopAfterFailedMatches: z.number().int().nonnegative().optional(),
  processors: z.number().int().positive().optional(),
  cpuTime: z.number().nonnegative().optional(),
  ownerGroup: z.string().optional(),
  vo: z.string().min(1).optional(),
  pilotUUID: z.string().min(1).max(32).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').optional(),
  tags: z.array(z.string().min(1)).default([]),
  requiredTags: z.array(z.string().min(1)).default([]),
  cvmfsLocations: z.array(z.string().min(1)).default(['/cvmfs/grid.cern.ch', '/cvmfs/dirac.egi.eu']),
  requiredCvmfs: z.array(z.string().min(1)).default([]),
  releaseVersion: z.string().default('v9.0.0'),
  releaseProject: z.string().optional(),
  backend: z.enum(['diracx', 'dirac']).default('diracx'),
  diracxUrl: z.string().url().optional(),
  caPath: z.string().optional(),
  credentialsFile: z.string().optional(),
  proxyFile: z.string().optional(),
  pilotSecretFile: z.string().optional(),
  insecure: z.boolean().default(false),
  matchPath: z.string().startsWith('/').default('/api/jobs/match'),
  workDir: z.string().optional(),
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
  sysroot: z.string().optional(),
  runner: z.enum(['auto', 'apptainer', 'direct']).default('auto'),
  containerImage: z.string().default('/cvmfs/cernvm-prod.cern.ch/cvm4'),
  apptainerBinary: z.string().optional(),
  containerBinds: z.array(z.string().min(1)).default([]),
  diracImage: z.string().optional(),
  diracEnvironment: z.string().optional(),
  drainFile: z.string().default('/var/lib/dirac_drain'),
  minimumTimeLeft: z.number().nonnegative().default(5000),
  maxCPUTime: z.number().nonnegative().default(0),
  queueCPUTime: z.number().nonnegative().optional(),
  cpuPowerSource: z.enum(['db12', 'mjf', 'config']).default('db12'),
  cpuPower: z.number().positive().optional(),
  cpuNormalizationCorrection: z.number().positive().default(1),
  heartbeatSeconds: z.number().positive().default(60),
  lifetimeSeconds: z.number().positive().optional(),
  maxStdoutMB: z.number().positive().default(1024),
  stalledSeconds: z.number().positive().default(1800),
  loopingSeconds: z.number().positive().default(7200),
  killGraceSeconds: z.number().nonnegative().default(10),
  blackHoleThreshold: z.number().int().positive().default(3),
  job: z.string().optional(),
  edge: z.boolean().default(false),
  edgeDir: z.string().optional(),
  edgePartition: z.string().optional(),
  edgeCpus: z.number().int().positive().default(1),
  edgeMemoryMB: z.number().int().positive().optional(),
  edgeGpus: z.number().int().nonnegative().default(0),
  edgeTimeLimit: z.number().int().positive().optional(),
  edgeGroupSize: z.number().int().positive().default(1),
  edgeMaxAllocations: z.number().int().positive().default(4),
  edgeStaleSeconds: z.number().positive().optional(),
  edgeComputePrefix: z.string().optional(),
  edgePilotCommand: z.string().optional(),
  staged: z.array(z.string().min(1)).default([]),
});

export type Params = z.infer<typeof paramsSchema>;
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
  const result = paramsSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const spec = OPTIONS.find((o) => o.key === key);
    const name = spec ? `--${spec.long}` : key;
    throw usage(`${name}: ${issue.message}`);
  }
  return result.data;
}

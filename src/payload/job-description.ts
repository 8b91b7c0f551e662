import { parseJdl, jdlString, jdlList, jdlNumber, jdlHas, jdlKeys, jdlToPlain, JdlError } from '../jdl/jdl.js';
import type { MatchedJob } from '../backend/types.js';
import type { JobDescription } from './job.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/** Reads typed fields from a job description, whichever form (JDL or JSON) it came in. */
interface FieldReader {
  string(key: string): string | undefined;
  list(key: string): string[];
  number(key: string): number | undefined;
  keys(): string[];
  raw(): Record<string, unknown>;
}

export class JobDescriptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobDescriptionError';
  }
}

function jdlReader(text: string): FieldReader {
  const doc = parseJdl(text);
  return {
    string: (key) => jdlString(doc, key),
    list: (key) => jdlList(doc, key),
    number: (key) => {
      const value = jdlNumber(doc, key);
      if (value === undefined && jdlHas(doc, key))
        throw new JobDescriptionError(`${key}: expected a number, got ${jdlString(doc, key) ?? 'a list'}`);
      return value;
    },
    keys: () => jdlKeys(doc),
    raw: () => jdlToPlain(doc),
  };
}

function jsonReader(data: Record<string, unknown>): FieldReader {
  // JDL keys are case-insensitive in DIRAC's ClassAd; accept JSON keys the same way.
  const lower = new Map(Object.keys(data).map((k) => [k.toLowerCase(), k]));
  const get = (key: string): unknown => {
    const real = lower.get(key.toLowerCase());
    return real === undefined ? undefined : data[real];
  };
  return {
    string: (key) => {
      const v = get(key);
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new JobDescriptionError(`${key}: expected a string, got ${JSON.stringify(v)}`);
    },
    list: (key) => {
      const v = get(key);
      if (v === undefined || v === null) return [];
      if (Array.isArray(v)) return v.map(String);
      return [String(v)];
    },
    number: (key) => {
      const v = get(key);
      if (v === undefined || v === null || v === '') return undefined;
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n)) throw new JobDescriptionError(`${key}: expected a number, got ${JSON.stringify(v)}`);
      return n;
    },
    keys: () => Object.keys(data),
    raw: () => ({ ...data }),
  };
}

/** Splits DIRAC's Arguments string the way a shell would for plain words and quotes, without a shell. */
export function splitArguments(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let started = false;
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = null;
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (/\s/.test(c)) {
      if (started) out.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (quote) throw new JobDescriptionError(`Arguments: unterminated ${quote} quote`);
  if (started) out.push(current);
  return out;
}

function positiveInt(value: number | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new JobDescriptionError(`${key}: expected a positive integer, got ${value}`);
  return value;
}

/** Builds the payload layer's view of a job from its description text (JDL, or JSON with the same keys). */
export function describeJob(text: string, identity: Pick<MatchedJob, 'jobId' | 'owner' | 'ownerGroup' | 'vo'>): JobDescription {
  let reader: FieldReader;
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('{')) {
      const data: unknown = JSON.parse(trimmed);
      if (data === null || typeof data !== 'object' || Array.isArray(data))
        throw new JobDescriptionError('JSON job description must be an object');
      reader = jsonReader(data as Record<string, unknown>);
    } else {
      reader = jdlReader(trimmed);
    }
  } catch (error) {
    if (error instanceof JdlError || error instanceof JobDescriptionError) throw new JobDescriptionError(error.message);
    throw new JobDescriptionError(`job description is neither JDL nor JSON: ${(error as Error).message}`);
  }

  const executable = reader.string('Executable');
  if (!executable) throw new JobDescriptionError('Executable is missing');
  const nProc = positiveInt(reader.number('NumberOfProcessors'), 'NumberOfProcessors');
  const minProc = positiveInt(reader.number('MinNumberOfProcessors'), 'MinNumberOfProcessors');
  const maxProc = positiveInt(reader.number('MaxNumberOfProcessors'), 'MaxNumberOfProcessors');
  const tags = [...reader.list('Tags'), ...reader.list('Tag')];
  const wholeNode = tags.includes('WholeNode') || /^true$/i.test(reader.string('WholeNode') ?? '');
  const min = nProc ?? minProc ?? 1;
  const max = nProc ?? maxProc ?? (tags.includes('MultiProcessor') || wholeNode ? Number.MAX_SAFE_INTEGER : min);
  if (max < min) throw new JobDescriptionError(`MaxNumberOfProcessors ${max} is below MinNumberOfProcessors ${min}`);
  const gpus = reader.number('NumberOfGPUs') ?? (tags.includes('GPU') ? 1 : 0);
  if (!Number.isInteger(gpus) || gpus < 0) throw new JobDescriptionError(`NumberOfGPUs: expected a non-negative integer, got ${gpus}`);

  // Names are the job's: no prototype, so `__proto__=x` or `constructor=x` are plain (if odd) names.
  const environment: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const entry of reader.list('Environment')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new JobDescriptionError(`Environment: expected NAME=value, got '${entry}'`);
    environment[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const argumentsText = reader.string('Arguments');
  const maxRAM = megabytes(reader.number('MaxRAM') ?? reader.number('MaxRAMMB'), 'MaxRAM');
  const minRAM = megabytes(reader.number('MinRAM'), 'MinRAM');
  if (minRAM !== null && maxRAM !== null && maxRAM < minRAM)
    throw new JobDescriptionError(`MaxRAM ${maxRAM} MB is below MinRAM ${minRAM} MB`);

  return {
    jobId: identity.jobId,
    executable,
    arguments: argumentsText ? splitArguments(argumentsText) : reader.list('ArgumentsList'),
    inputSandbox: reader.list('InputSandbox'),
    outputSandbox: reader.list('OutputSandbox'),
    stdOutput: reader.string('StdOutput') ?? 'std.out',
    stdError: reader.string('StdError') ?? 'std.err',
    cpuTime: reader.number('CPUTime') ?? null,
    maxWallTime: reader.number('MaxWallTime') ?? reader.number('WallClockTime') ?? null,
    processors: { min, max },
    wholeNode,
    numberOfGPUs: gpus,
    minRAMMB: minRAM,
    maxRAMMB: maxRAM,
    memoryNoSwap: /^true$/i.test(reader.string('MemoryNoSwap') ?? ''),
    tags,
    platform: reader.string('Platform') ?? null,
    environment,
    containerImage: reader.string('ContainerImage') ?? reader.string('ContainerRoot') ?? null,
    payloadToken: /^true$/i.test(reader.string('PayloadToken') ?? ''),
    owner: identity.owner || reader.string('Owner') || 'unknown',
    ownerGroup: identity.ownerGroup || reader.string('OwnerGroup') || 'unknown',
    vo: identity.vo || reader.string('VirtualOrganization') || 'unknown',
    raw: reader.raw(),
  };
}

/** A memory figure in MB: a positive number, or null when absent (0 is DIRAC's "no figure"). */
function megabytes(value: number | undefined, name: string): number | null {
  if (value === undefined || value === 0) return null;
  if (!Number.isFinite(value) || value < 0) throw new JobDescriptionError(`${name}: expected a number of MB, got ${value}`);
  return Math.ceil(value);
}

/** describeJob for the job agent: a bad description is a job failure, not a pilot crash. */
export function describeMatchedJob(job: MatchedJob): JobDescription {
  return describeJob(job.jdl, job);
}

/** describeJob for `pilot exec --job FILE`: a bad file is the user's error (exit code CONFIG). */
export function describeJobFile(text: string, file: string): JobDescription {
  try {
    return describeJob(text, { jobId: 0, owner: '', ownerGroup: '', vo: '' });
  } catch (error) {
    throw new PilotError(ExitCode.CONFIG, `job file ${file}: ${(error as Error).message}`);
  }
}

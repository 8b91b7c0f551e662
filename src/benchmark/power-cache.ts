/**
 * A node's CPU power, measured once (long, steady) and shared with the pilots that come later:
 * a small JSON file at a path the site chooses (e.g. /var/lib/dirac-pilot/cpu-power.json).
 *
 * Trust: the figure decides how much work every later pilot on the node advertises, so a payload
 * must not be able to write it. Payloads usually run as the pilot's own user, so a file the
 * pilot could write, a payload could write too. The cache is therefore read-only for pilots and
 * is trusted only when the file AND its directory belong to root or to a uid the site names
 * (`trustedUids`), and neither is writable by group or others. The site fills it with
 * `pilot benchmark --save-cache PATH` run as that account (writePowerCache).
 *
 * Validity: a regular file (not a symlink, at most 64 KiB) with the schema below; measured no
 * more than `maxAgeSeconds` ago and not in the future; on the same CPU (vendor, family, model,
 * model name, logical CPU count), since a VM may move to another host; a power within the sanity
 * bounds. Anything else is refused with a one-line reason, and the pilot measures instead.
 */
import { closeSync, constants, fsyncSync, lstatSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { CpuIdentity } from './db12-calibration.js';
import type { CpuPowerMeasurement } from './db12.js';
import { powerProblem } from './power-bounds.js';

export const CACHE_MAX_BYTES = 64 * 1024;
/** A week: long enough that most pilots on a node reuse the figure, short enough that a changed BIOS or microcode setting is noticed. */
export const DEFAULT_CACHE_MAX_AGE_SECONDS = 7 * 24 * 3600;
/** Clock skew tolerated for a `measuredAt` slightly in the future. */
const FUTURE_TOLERANCE_SECONDS = 300;

const CpuIdentitySchema = z.object({
  arch: z.string(),
  vendor: z.string(),
  family: z.number().int().nullable(),
  model: z.number().int().nullable(),
  modelName: z.string(),
});

export const PowerCacheEntrySchema = z.object({
  version: z.literal(1),
  /** Power of one processor, before the VO's CPUNormalizationCorrection (readers divide by theirs). */
  power: z.number(),
  /** How it was measured: e.g. `db12 (JavaScript, calibration amd-family-25), 400 chunks`. */
  method: z.string().max(300),
  /** Relative spread of the measurement (standard error), when known. */
  standardError: z.number().nonnegative().optional(),
  measuredAt: z.string().datetime({ offset: true }),
  cpu: CpuIdentitySchema,
  logicalCpus: z.number().int().positive(),
});
export type PowerCacheEntry = z.infer<typeof PowerCacheEntrySchema>;

export interface ReadPowerCacheOptions {
  /** This node's CPU and logical CPU count: the entry must have been measured on the same. */
  cpu: CpuIdentity;
  logicalCpus: number;
  now?: Date;
  maxAgeSeconds?: number;
  /** Owners trusted besides root (uid 0), e.g. a site's dedicated benchmark account. */
  trustedUids?: number[];
}

export type PowerCacheRead = { entry: PowerCacheEntry } | { refused: string };

/** Read and check the node's cached power. Never throws: a refusal says why, in one line. */
export function readPowerCache(file: string, options: ReadPowerCacheOptions): PowerCacheRead {
  const trusted = new Set([0, ...(options.trustedUids ?? [])]);
  const refuse = (why: string): PowerCacheRead => ({ refused: `CPU power cache ${file}: ${why}` });

  let fileStat;
  try {
    fileStat = lstatSync(file);
  } catch (error) {
    return refuse((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not there' : `unreadable (${(error as Error).message})`);
  }
  if (fileStat.isSymbolicLink()) return refuse("is a symbolic link (not trusted: its target could be anyone's)");
  if (!fileStat.isFile()) return refuse('is not a regular file');
  const ownership = ownershipProblem(fileStat, trusted);
  if (ownership) return refuse(ownership);
  const dir = path.dirname(path.resolve(file));
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch (error) {
    return refuse(`its directory is unreadable (${(error as Error).message})`);
  }
  const dirOwnership = ownershipProblem(dirStat, trusted);
  if (dirOwnership) return refuse(`its directory ${dir} ${dirOwnership}`);
  if (fileStat.size > CACHE_MAX_BYTES) return refuse(`is larger than ${CACHE_MAX_BYTES} bytes`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return refuse(`is not JSON (${(error as Error).message.split('\n')[0]})`);
  }
  const result = PowerCacheEntrySchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    return refuse(`does not match its schema (${issue?.path.join('.') || 'top level'}: ${issue?.message})`);
  }
  const entry = result.data;
  const bounds = powerProblem(entry.power, 'cached power');
  if (bounds) return refuse(bounds);
  const now = (options.now ?? new Date()).getTime();
  const age = (now - Date.parse(entry.measuredAt)) / 1000;
  if (age < -FUTURE_TOLERANCE_SECONDS) return refuse(`was measured in the future (${entry.measuredAt})`);
  const maxAge = options.maxAgeSeconds ?? DEFAULT_CACHE_MAX_AGE_SECONDS;
  if (age > maxAge) return refuse(`is ${Math.round(age / 3600)} h old, more than the ${Math.round(maxAge / 3600)} h allowed`);
  const cpuMismatch = cpuDifference(entry.cpu, options.cpu);
  if (cpuMismatch) return refuse(`was measured on another CPU (${cpuMismatch})`);
  if (entry.logicalCpus !== options.logicalCpus)
    return refuse(`was measured with ${entry.logicalCpus} logical CPUs, this node has ${options.logicalCpus}`);
  return { entry };
}

function ownershipProblem(stat: { uid: number; mode: number }, trusted: Set<number>): string | null {
  if (!trusted.has(stat.uid)) return `is owned by uid ${stat.uid}, not by root or a trusted uid (${[...trusted].join(', ')})`;
  if ((stat.mode & 0o022) !== 0) return `is writable by group or others (mode ${(stat.mode & 0o777).toString(8).padStart(3, '0')})`;
  return null;
}

function cpuDifference(cached: CpuIdentity, current: CpuIdentity): string | null {
  for (const key of ['arch', 'vendor', 'family', 'model', 'modelName'] as const) {
    if (cached[key] !== current[key]) return `${key} ${JSON.stringify(cached[key])} there, ${JSON.stringify(current[key])} here`;
  }
  return null;
}

/**
 * Write the entry for later pilots (run by the site as root or its trusted account). The
 * directory must already exist, belong to the writer and be closed to group and others: the
 * same rule readers apply, checked before writing so that a site learns at once that its pilots
 * would refuse the file. Written to a temporary name, synced, then renamed, so a reader never
 * sees half a file; mode 0644.
 */
export function writePowerCache(file: string, entry: PowerCacheEntry, euid: number = process.geteuid?.() ?? -1): void {
  const checked = PowerCacheEntrySchema.parse(entry);
  const bounds = powerProblem(checked.power, 'power to cache');
  if (bounds) throw new Error(bounds);
  const dir = path.dirname(path.resolve(file));
  const dirStat = statSync(dir);
  if (dirStat.uid !== euid)
    throw new Error(`CPU power cache: directory ${dir} belongs to uid ${dirStat.uid}, not to the writer (uid ${euid})`);
  if ((dirStat.mode & 0o022) !== 0)
    throw new Error(`CPU power cache: directory ${dir} is writable by group or others; pilots would refuse the file`);
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, `${JSON.stringify(checked, null, 2)}\n`);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, file);
}

/**
 * The measurement a site stores for later pilots: the same DB12 measurement, seven times longer
 * (up to 400 chunks, 200 M draws, within 15 s of wall), so the cached figure carries about 40 % of
 * a single pilot's spread (with independent chunks). Stored before the correction; readers divide by theirs.
 */
export const CACHE_SHAPE = { warmupDraws: 1_000_000, chunkDraws: 500_000, chunks: 400, minChunks: 40, budgetSeconds: 15 } as const;

export function cacheEntryFrom(measurement: CpuPowerMeasurement, logicalCpus: number, now: Date = new Date()): PowerCacheEntry {
  const uncorrected = Math.round(Math.min(...measurement.raw) * 10) / 10;
  return {
    version: 1,
    power: uncorrected,
    method: `${engineOf(measurement)}, ${measurement.copies} cop${measurement.copies === 1 ? 'y' : 'ies'}, ${measurement.spread.kept} of ${measurement.spread.chunks} chunks`,
    standardError: measurement.spread.standardError,
    measuredAt: now.toISOString(),
    cpu: measurement.cpu,
    logicalCpus,
  };
}

function engineOf(measurement: CpuPowerMeasurement): string {
  return measurement.engine === 'cpython'
    ? `db12 (CPython ${measurement.interpreter?.version ?? ''})`
    : `db12 (JavaScript, calibration ${measurement.calibration.id}, k ${measurement.calibration.k})`;
}

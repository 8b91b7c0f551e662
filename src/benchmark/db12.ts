import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/logger.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { readFileSync } from 'node:fs';
import { db12Copy, threadCpuClock, threadCpuSeconds, type Db12CopyInput, type Db12CopyResult } from './db12-copy.js';
import { calibrationFor, cpuIdentityFromCpuinfo, kernelArch, type CpuIdentity, type Db12Calibration } from './db12-calibration.js';
import { MIN_KEPT_CHUNKS, summarizeChunks, type ChunkSummary, type DroppedChunk } from './db12-stats.js';
import { powerProblem } from './power-bounds.js';

export interface MeasureCpuPowerOptions {
  /** Parallel copies: one per allocated processor, as DIRAC runs them. */
  copies: number;
  /** DIRAC's Operations JobScheduling/CPUNormalizationCorrection: the score is divided by it. Default 1. */
  correction?: number;
  logger: Logger;
  /** The measurement's shape; defaults in DEFAULT_SHAPE. */
  shape?: Partial<Db12Shape>;
  /** Calibration to apply; default: the table entry for this CPU (db12-calibration.ts). */
  calibration?: Db12Calibration;
  /** This CPU, for the calibration; default: read from /proc/cpuinfo. */
  cpu?: CpuIdentity;
  /** Upper bound on the whole measurement; a stuck worker is terminated and reported. */
  timeoutMs?: number;
  /** The pilot's stop signal: the copies are stopped at once (threads terminated, processes killed). */
  signal?: AbortSignal;
}

/** How much to measure: a warm-up, then chunks until their count or the wall budget is reached. */
export type Db12Shape = Db12CopyInput;

/**
 * The default measurement. A chunk of 500 k draws is long against the resolution of the
 * per-thread clock after the settle, and short enough that a burst of contention spoils one chunk,
 * not the figure. Up to 56 chunks (28 M draws, 2.2 DB12 iterations' worth) within 1.4 s of wall;
 * at least 8 whatever the load. The warm-up (DB12's iteration 0) lets the JIT compile the loop
 * first. What a chunk and the whole run cost, against Python DB12: docs/decisions/measurements.md
 * (bench/db12.bench.mjs re-measures it).
 */
export const DEFAULT_SHAPE: Db12Shape = {
  warmupDraws: 1_000_000,
  chunkDraws: 500_000,
  chunks: 56,
  minChunks: 8,
  budgetSeconds: 1.4,
};

export interface CopyMeasurement {
  /** Calibrated DB12 NORM of this copy, before the correction; null when too few chunks were usable. */
  score: number | null;
  summary: ChunkSummary | null;
  dropped: DroppedChunk[];
  cpuSeconds: number;
}

/** Which loop measured: the JavaScript port (calibrated per CPU family) or DB12's own interpreter. */
export type Db12Engine = 'javascript' | 'cpython';

/** The CPython that ran DB12 (engine 'cpython'). */
export interface ReferencePython {
  path: string;
  /** e.g. 3.11.7 */
  version: string;
}

export interface CpuPowerMeasurement {
  /** DB12 score (HS06-like units per core): min over copies of the calibrated NORM, / correction, to 0.1. */
  power: number;
  /** Calibrated DB12 NORM of each copy, before the correction. */
  raw: number[];
  source: 'db12';
  engine: Db12Engine;
  /** The interpreter, when the engine is CPython. */
  interpreter?: ReferencePython;
  /** NORM of each copy before the calibration (the JavaScript loop's own; CPython's is DB12's, k = 1). */
  uncalibratedNorm: number[];
  calibration: Db12Calibration;
  correction: number;
  copies: number;
  shape: Db12Shape;
  /** Spread of the copy that gave the power: chunk percentiles 10 and 90 relative to the median, and the standard error. */
  spread: { low: number; high: number; standardError: number; chunks: number; kept: number };
  /** Chunks dropped, per copy (clock faults and outliers), for the log. */
  dropped: DroppedChunk[][];
  cpuSeconds: number[];
  wallSeconds: number;
  clock: Db12CopyResult['clock'] | 'process_time';
  cpu: CpuIdentity;
}

/** What every copy reports, whichever engine ran it: CPU and wall seconds of each measured chunk. */
export interface CopyChunks {
  chunkCpu: number[];
  chunkWall: number[];
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** Measure this slot's CPU power the way DIRAC's pilot does: DB12, one copy per processor in parallel. */
export async function measureCpuPower(options: MeasureCpuPowerOptions): Promise<CpuPowerMeasurement> {
  const { copies, correction, shape } = checkedRequest(options, DEFAULT_SHAPE);
  const cpu = options.cpu ?? readCpuIdentity();
  const calibration = options.calibration ?? calibrationFor(cpu);
  if (!(calibration.k > 0) || !Number.isFinite(calibration.k)) {
    throw new PilotError(ExitCode.INTERNAL, `DB12 calibration factor must be a positive number, got ${calibration.k}`);
  }

  options.logger.debug({ copies, shape, calibration: calibration.id }, 'DB12: starting copies');
  const started = performance.now();
  options.signal?.throwIfAborted();
  const results = await Promise.all(
    Array.from({ length: copies }, () => runCopyInWorker(shape, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.signal)),
  );
  const wallSeconds = (performance.now() - started) / 1000;

  return finishMeasurement({
    copyChunks: results,
    engine: 'javascript',
    calibration,
    correction,
    shape,
    wallSeconds,
    clock: results[0]?.clock ?? 'threadCpuUsage',
    cpu,
    logger: options.logger,
  });
}

export interface FinishMeasurementInput {
  copyChunks: CopyChunks[];
  engine: Db12Engine;
  interpreter?: ReferencePython;
  calibration: Db12Calibration;
  correction: number;
  shape: Db12Shape;
  wallSeconds: number;
  clock: CpuPowerMeasurement['clock'];
  cpu: CpuIdentity;
  logger: Logger;
}

/**
 * From each copy's timed chunks to the slot's power, the same for both engines: chunks checked
 * (db12-stats.ts), each copy's NORM calibrated, the slowest copy taken (as DIRAC's pilot takes
 * min(raw)), divided by the correction, and held to the sanity bounds.
 */
export function finishMeasurement(input: FinishMeasurementInput): CpuPowerMeasurement {
  const { copyChunks, calibration, correction, shape, logger } = input;
  const label = input.engine === 'cpython' ? 'DB12 (CPython)' : 'DB12';
  const perCopy: CopyMeasurement[] = copyChunks.map((result) => {
    const { summary, dropped } = summarizeChunks(result.chunkCpu, result.chunkWall, shape.chunkDraws);
    return {
      score: summary ? summary.norm * calibration.k : null,
      summary,
      dropped,
      cpuSeconds: result.chunkCpu.reduce((sum, value) => sum + Math.max(0, value), 0),
    };
  });
  for (const [index, copy] of perCopy.entries()) {
    if (copy.dropped.length > 0) {
      logger.warn(
        { copy: index, dropped: copy.dropped },
        `${label}: ${copy.dropped.length} chunk(s) of copy ${index} dropped (clock fault or outlier)`,
      );
    }
  }
  const failed = perCopy.findIndex((copy) => copy.summary === null);
  if (failed >= 0) {
    throw new PilotError(
      ExitCode.COMMAND_FAILED,
      `${label}: copy ${failed} has fewer than ${MIN_KEPT_CHUNKS} usable chunks (${perCopy[failed]?.dropped.length} of ${copyChunks[failed]?.chunkCpu.length} dropped): the CPU clock is not usable`,
    );
  }
  const raw = perCopy.map((copy) => copy.score as number);
  const slowest = raw.indexOf(Math.min(...raw));
  const chosen = perCopy[slowest]?.summary as ChunkSummary;
  const power = roundToTenth((raw[slowest] as number) / correction);
  const problem = powerProblem(power, `${label}: measured power`);
  if (problem) throw new PilotError(ExitCode.COMMAND_FAILED, `${problem}; the CPU clock of this node is not trustworthy`);

  const measurement: CpuPowerMeasurement = {
    power,
    raw,
    source: 'db12',
    engine: input.engine,
    ...(input.interpreter ? { interpreter: input.interpreter } : {}),
    uncalibratedNorm: perCopy.map((copy) => copy.summary?.norm as number),
    calibration,
    correction,
    copies: copyChunks.length,
    shape,
    spread: { low: chosen.low, high: chosen.high, standardError: chosen.standardError, chunks: chosen.chunks, kept: chosen.kept },
    dropped: perCopy.map((copy) => copy.dropped),
    cpuSeconds: perCopy.map((copy) => copy.cpuSeconds),
    wallSeconds: input.wallSeconds,
    clock: input.clock,
    cpu: input.cpu,
  };
  logger.info(
    {
      power,
      raw,
      engine: input.engine,
      calibration: calibration.id,
      k: calibration.k,
      spread: measurement.spread,
      wallSeconds: input.wallSeconds,
    },
    `${label}: CPU power measured`,
  );
  return measurement;
}

/** The copies, correction and shape of a request, checked: a usage error names the bad one. */
export function checkedRequest(
  options: Pick<MeasureCpuPowerOptions, 'copies' | 'correction' | 'shape'>,
  defaults: Db12Shape,
): { copies: number; correction: number; shape: Db12Shape } {
  const copies = options.copies;
  const correction = options.correction ?? 1;
  const shape: Db12Shape = { ...defaults, ...options.shape };
  requirePositiveInteger('copies', copies);
  for (const key of ['warmupDraws', 'chunkDraws', 'chunks', 'minChunks'] as const) requirePositiveInteger(key, shape[key]);
  if (shape.minChunks > shape.chunks)
    throw new PilotError(ExitCode.USAGE, `DB12: minChunks (${shape.minChunks}) exceeds chunks (${shape.chunks})`);
  if (!(shape.budgetSeconds > 0)) throw new PilotError(ExitCode.USAGE, `DB12: budgetSeconds must be positive, got ${shape.budgetSeconds}`);
  if (!(correction > 0) || !Number.isFinite(correction)) {
    throw new PilotError(ExitCode.CONFIG, `CPU normalization correction must be a positive number, got ${correction}`);
  }
  return { copies, correction, shape };
}

/** This CPU's identity from /proc/cpuinfo; unknown (generic calibration) where it cannot be read. */
export function readCpuIdentity(readText: (path: string) => string = (path) => readFileSync(path, 'utf8')): CpuIdentity {
  let text = '';
  try {
    text = readText('/proc/cpuinfo');
  } catch {
    // Not Linux, or /proc hidden: the generic calibration applies, and the log says so.
  }
  return cpuIdentityFromCpuinfo(text, kernelArch());
}

export function roundToTenth(value: number): number {
  return Math.round(value * 10) / 10;
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new PilotError(ExitCode.USAGE, `DB12: ${name} must be a positive integer, got ${value}`);
  }
}

/**
 * Worker source: db12-copy.ts's functions as text, plus glue. The glue is a plain string, so
 * the closures it creates are never touched by the bundler.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const threadCpuSeconds = (${threadCpuSeconds.toString()});
const threadCpuClock = (${threadCpuClock.toString()});
const db12Copy = (${db12Copy.toString()});
const cpuNow = () => threadCpuSeconds((path) => readFileSync(path, 'utf8'));
parentPort.postMessage(db12Copy(workerData, cpuNow, threadCpuClock()));
`;

function runCopyInWorker(input: Db12CopyInput, timeoutMs: number, signal?: AbortSignal): Promise<Db12CopyResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: input });
    let settled = false;
    const onAbort = (): void => finish(new PilotError(ExitCode.COMMAND_FAILED, 'DB12: stopped by the stop signal'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (error: Error | null, result?: Db12CopyResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        void worker.terminate();
        reject(error);
      } else {
        resolve(result as Db12CopyResult);
      }
    };
    const timer = setTimeout(
      () => finish(new PilotError(ExitCode.COMMAND_FAILED, `DB12: a copy did not finish within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
    worker.once('message', (message: Db12CopyResult) => finish(null, message));
    worker.once('error', (error) =>
      finish(new PilotError(ExitCode.COMMAND_FAILED, `DB12: worker failed: ${error.message}`, { cause: error })),
    );
    worker.once('exit', (code) =>
      finish(new PilotError(ExitCode.COMMAND_FAILED, `DB12: worker exited with code ${code} before reporting`)),
    );
  });
}

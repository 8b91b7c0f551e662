import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/logger.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { db12Copy, threadCpuClock, threadCpuSeconds, type Db12CopyInput, type Db12CopyResult } from './db12-copy.js';
import { DB12_CALIBRATION, DB12_DRAWS_PER_ITERATION, DB12_SCALE } from './db12-calibration.js';

export interface MeasureCpuPowerOptions {
  /** Parallel copies: one per allocated processor, as DIRAC runs them. */
  copies: number;
  /** DIRAC's Operations JobScheduling/CPUNormalizationCorrection: the score is divided by it. Default 1. */
  correction?: number;
  logger: Logger;
  /** Measured iterations after the warm-up (DB12: 1). */
  iterations?: number;
  /** Draws per iteration (DB12: 12.5 M); fewer draws give a proportionally scaled estimate. */
  draws?: number;
  /** Calibration factor applied to the JavaScript NORM; default DB12_CALIBRATION.k. */
  calibration?: number;
  /** Upper bound on the whole measurement; a stuck worker is terminated and reported. */
  timeoutMs?: number;
}

export interface CpuPowerMeasurement {
  /** DB12 score (HS06-like units per core): min over copies of the calibrated NORM, / correction, to 0.1. */
  power: number;
  /** Calibrated DB12 NORM of each copy, before the correction. */
  raw: number[];
  source: 'db12';
  /** Uncalibrated NORM of the JavaScript loop, per copy. */
  jsNorm: number[];
  calibration: number;
  correction: number;
  copies: number;
  iterations: number;
  draws: number;
  cpuSeconds: number[];
  wallSeconds: number;
  clock: Db12CopyResult['clock'];
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/**
 * A quarter of DB12's draws, scaled back up in normFromCpu: the JavaScript loop then takes
 * ~0.15 s of CPU per iteration (>= 10x less wall time than the Python reference, bench/db12.bench.mjs)
 * while still long enough that per-thread CPU clocks and timer noise stay well under 1 %.
 */
export const DEFAULT_DRAWS = DB12_DRAWS_PER_ITERATION / 4;

/** Measure this slot's CPU power the way DIRAC's pilot does: DB12, one copy per processor in parallel. */
export async function measureCpuPower(options: MeasureCpuPowerOptions): Promise<CpuPowerMeasurement> {
  const copies = options.copies;
  const iterations = options.iterations ?? 1;
  const draws = options.draws ?? DEFAULT_DRAWS;
  const correction = options.correction ?? 1;
  const calibration = options.calibration ?? DB12_CALIBRATION.k;
  requirePositiveInteger('copies', copies);
  requirePositiveInteger('iterations', iterations);
  requirePositiveInteger('draws', draws);
  if (!(correction > 0) || !Number.isFinite(correction)) {
    throw new PilotError(ExitCode.CONFIG, `CPU normalization correction must be a positive number, got ${correction}`);
  }
  if (!(calibration > 0) || !Number.isFinite(calibration)) {
    throw new PilotError(ExitCode.INTERNAL, `DB12 calibration factor must be a positive number, got ${calibration}`);
  }

  options.logger.debug({ copies, iterations, draws }, 'DB12: starting copies');
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: copies }, () => runCopyInWorker({ iterations, draws }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)),
  );
  const wallSeconds = (performance.now() - started) / 1000;

  const jsNorm = results.map((result) => normFromCpu(result.cpuSeconds, iterations, draws));
  const raw = jsNorm.map((norm) => norm * calibration);
  const power = roundToTenth(Math.min(...raw) / correction);
  const measurement: CpuPowerMeasurement = {
    power,
    raw,
    source: 'db12',
    jsNorm,
    calibration,
    correction,
    copies,
    iterations,
    draws,
    cpuSeconds: results.map((result) => result.cpuSeconds),
    wallSeconds,
    clock: results[0]?.clock ?? 'threadCpuUsage',
  };
  options.logger.info({ power, raw, wallSeconds }, 'DB12: CPU power measured');
  return measurement;
}

/** DB12's NORM = 250 * n / cpu, scaled to a full 12.5 M-draw iteration when fewer draws ran. */
export function normFromCpu(cpuSeconds: number, iterations: number, draws: number): number {
  if (!(cpuSeconds > 0)) {
    throw new PilotError(ExitCode.INTERNAL, `DB12: measured CPU time is ${cpuSeconds} s; the per-thread CPU clock is not usable`);
  }
  return (DB12_SCALE * iterations * (draws / DB12_DRAWS_PER_ITERATION)) / cpuSeconds;
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

function runCopyInWorker(input: Db12CopyInput, timeoutMs: number): Promise<Db12CopyResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: input });
    let settled = false;
    const finish = (error: Error | null, result?: Db12CopyResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
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
    worker.once('exit', (code) => finish(new PilotError(ExitCode.COMMAND_FAILED, `DB12: worker exited with code ${code} before reporting`)));
  });
}

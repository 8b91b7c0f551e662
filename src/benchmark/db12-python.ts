/**
 * DB12 run by DB12's own interpreter when the node has it.
 *
 * The JavaScript port needs a factor k per CPU family (db12-calibration.ts), and k moves with the
 * microarchitecture and with the kind of load on the node: no table can hold within 5 % on a CPU
 * nobody measured. DIRAC's pilot runs DB12 under DIRACOS2's CPython 3.11. Where a CPython 3.11 is
 * on the node (Debian 12, EL9's python3.11 package, a DIRACOS2 the site points at), running the
 * same loop under it gives DB12's figure with no calibration at all, on any CPU, loaded or quiet;
 * what is left is the noise of a shorter window. Other versions are not used: CPython's speed on
 * this loop changes by 20 to 30 % between 3.9 and 3.11, which is a calibration again.
 */
import { execa } from 'execa';
import { z } from 'zod';
import { findExecutable } from '../core/find-executable.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { Db12Calibration } from './db12-calibration.js';
import { DB12_PYTHON_SCRIPT, PYTHON_IDENTITY_SCRIPT } from './db12-python-script.js';
import {
  checkedRequest,
  finishMeasurement,
  readCpuIdentity,
  type CopyChunks,
  type CpuPowerMeasurement,
  type Db12Shape,
  type MeasureCpuPowerOptions,
  type ReferencePython,
} from './db12.js';

/** DB12's interpreter in DIRAC today: DIRACOS2's CPython. */
export const REFERENCE_PYTHON_MINOR = '3.11';

/**
 * Which interpreter: `auto` (python3.11, then python3, on PATH), `none` (the JavaScript port
 * only), or an absolute path (e.g. a DIRACOS2's bin/python).
 */
export type PythonChoice = 'auto' | 'none' | (string & {});

/**
 * Well under a fifth of DB12's draws: a warm-up of 250 k draws (an interpreter has no JIT to
 * warm; this is for the core's clock), then up to 7 chunks of 500 k (3.5 M draws, 28 % of DB12's
 * measured iteration), at least 4 whatever the load, no new chunk after 3.5 s of wall. DB12 draws
 * 25 M (its warm-up iteration and the measured one), so on a quiet core the pilot spends 6.6x
 * less, and more than that on a loaded one, where the budget stops it first.
 */
export const DEFAULT_PYTHON_SHAPE: Db12Shape = {
  warmupDraws: 250_000,
  chunkDraws: 500_000,
  chunks: 7,
  minChunks: 4,
  budgetSeconds: 3.5,
};

/** For the node cache: DB12's whole measured iteration (12.5 M draws), as DB12 measures it. */
export const CACHE_PYTHON_SHAPE: Db12Shape = {
  warmupDraws: 500_000,
  chunkDraws: 500_000,
  chunks: 25,
  minChunks: 25,
  budgetSeconds: 3600,
};

/** The interpreter is DB12's own: k = 1. */
export const CPYTHON_CALIBRATION: Db12Calibration = {
  id: `cpython-${REFERENCE_PYTHON_MINOR}`,
  k: 1,
  relativeUncertainty: 0,
  measured: true,
  measuredOn: "none needed: DB12's own loop under DB12's own interpreter",
};

const IDENTITY_TIMEOUT_MS = 10_000;
/** A copy that has not finished its minimum chunks by then is on a node too loaded to measure this way. */
const DEFAULT_PYTHON_TIMEOUT_MS = 120_000;
const MAX_REPLY_BYTES = 1024 * 1024;

/** The interpreter's environment: nothing of the pilot's (its tokens and proxies among them); -I ignores PYTHON* anyway. */
const PYTHON_ENV = { LC_ALL: 'C.UTF-8' };

export type FoundPython = { python: ReferencePython } | { refused: string };

/** The CPython 3.11 to run DB12 with, or why there is none. */
export async function findReferencePython(
  choice: PythonChoice,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<FoundPython> {
  if (choice === 'none') return { refused: 'not asked for (--db12-python none)' };
  let candidates: string[];
  if (choice === 'auto') {
    candidates = [...new Set([findExecutable('python3.11', env), findExecutable('python3', env)].filter((file) => file !== null))];
    if (candidates.length === 0) return { refused: 'no python3.11 or python3 on PATH' };
  } else {
    if (!choice.startsWith('/')) return { refused: `--db12-python must be an absolute path, auto or none, got "${choice}"` };
    candidates = [choice];
  }
  const reasons: string[] = [];
  for (const path of candidates) {
    const identity = await pythonIdentity(path, signal);
    if ('reason' in identity) {
      reasons.push(`${path}: ${identity.reason}`);
    } else if (identity.implementation !== 'CPython' || !isReferenceVersion(identity.version)) {
      reasons.push(`${path} is ${identity.implementation} ${identity.version}`);
    } else {
      return { python: { path, version: identity.version } };
    }
  }
  return { refused: `${reasons.join('; ')}; DB12's figures are CPython ${REFERENCE_PYTHON_MINOR}'s` };
}

function isReferenceVersion(version: string): boolean {
  return version === REFERENCE_PYTHON_MINOR || version.startsWith(`${REFERENCE_PYTHON_MINOR}.`);
}

async function pythonIdentity(
  path: string,
  signal?: AbortSignal,
): Promise<{ implementation: string; version: string } | { reason: string }> {
  const result = await execa(path, ['-I', '-S', '-c', PYTHON_IDENTITY_SCRIPT], {
    reject: false,
    timeout: IDENTITY_TIMEOUT_MS,
    stdin: 'ignore',
    env: PYTHON_ENV,
    extendEnv: false,
    maxBuffer: 4096,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  if (result.isCanceled) return { reason: 'stopped by the stop signal' };
  if (result.timedOut) return { reason: `did not answer within ${IDENTITY_TIMEOUT_MS / 1000} s` };
  if (result.failed) return { reason: firstLine(result.stderr) || result.shortMessage || 'failed to start' };
  const match = /^(\w+) (\d+\.\d+\.\d+)$/.exec(String(result.stdout).trim());
  if (!match) return { reason: `answered "${String(result.stdout).trim().slice(0, 80)}" instead of its version` };
  return { implementation: match[1] as string, version: match[2] as string };
}

const CopyReplySchema = z.object({
  implementation: z.literal('CPython'),
  version: z.string().max(32),
  chunkCpu: z.array(z.number()).max(100_000),
  chunkWall: z.array(z.number()).max(100_000),
  /** The draws' mean and variance (about 10 and 1): proof that the loop ran. */
  mean: z.number().min(9.5).max(10.5),
  variance: z.number().min(0.5).max(1.5),
});

export interface MeasureWithPythonOptions extends MeasureCpuPowerOptions {
  python: ReferencePython;
}

/** DB12 under the node's CPython 3.11: one process per allocated processor, in parallel, as DB12 runs its copies. */
export async function measureCpuPowerWithPython(options: MeasureWithPythonOptions): Promise<CpuPowerMeasurement> {
  const { copies, correction, shape } = checkedRequest(options, DEFAULT_PYTHON_SHAPE);
  const cpu = options.cpu ?? readCpuIdentity();
  const timeoutMs = options.timeoutMs ?? DEFAULT_PYTHON_TIMEOUT_MS;
  options.logger.debug({ copies, shape, python: options.python }, 'DB12 (CPython): starting copies');
  const started = performance.now();
  options.signal?.throwIfAborted();
  const replies = await Promise.all(Array.from({ length: copies }, () => runPythonCopy(options.python, shape, timeoutMs, options.signal)));
  const wallSeconds = (performance.now() - started) / 1000;
  return finishMeasurement({
    copyChunks: replies,
    engine: 'cpython',
    interpreter: options.python,
    calibration: CPYTHON_CALIBRATION,
    correction,
    shape,
    wallSeconds,
    clock: 'process_time',
    cpu,
    logger: options.logger,
  });
}

async function runPythonCopy(python: ReferencePython, shape: Db12Shape, timeoutMs: number, signal?: AbortSignal): Promise<CopyChunks> {
  const result = await execa(python.path, ['-I', '-S', '-c', DB12_PYTHON_SCRIPT, JSON.stringify(shape)], {
    reject: false,
    timeout: timeoutMs,
    stdin: 'ignore',
    env: PYTHON_ENV,
    extendEnv: false,
    maxBuffer: MAX_REPLY_BYTES,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  const fail = (why: string): never => {
    throw new PilotError(ExitCode.COMMAND_FAILED, `DB12 (CPython ${python.path}): ${why}`);
  };
  if (result.isCanceled) fail('stopped by the stop signal');
  if (result.timedOut) fail(`a copy did not finish within ${Math.round(timeoutMs / 1000)} s`);
  if (result.failed) fail(firstLine(result.stderr) || result.shortMessage || 'failed');
  let reply: unknown;
  try {
    reply = JSON.parse(String(result.stdout));
  } catch {
    fail(`replied something other than one JSON object: "${String(result.stdout).trim().slice(0, 80)}"`);
  }
  const parsed = CopyReplySchema.safeParse(reply);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`unusable reply (${issue?.path.join('.') || 'reply'}: ${issue?.message})`);
  }
  if (!isReferenceVersion(parsed.data.version)) fail(`ran as CPython ${parsed.data.version}, not ${REFERENCE_PYTHON_MINOR}`);
  if (parsed.data.chunkCpu.length !== parsed.data.chunkWall.length) fail('chunk CPU and wall times differ in number');
  return { chunkCpu: parsed.data.chunkCpu, chunkWall: parsed.data.chunkWall };
}

function firstLine(text: unknown): string {
  const lines = String(text ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  // Python's traceback ends with the error itself.
  return (lines.at(-1) ?? '').slice(0, 200);
}

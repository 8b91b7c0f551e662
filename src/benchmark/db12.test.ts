import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { db12Copy, threadCpuClock, threadCpuSeconds, type Db12CopyInput } from './db12-copy.js';
import { GENERIC_CALIBRATION } from './db12-calibration.js';
import { measureCpuPower, readCpuIdentity, roundToTenth } from './db12.js';

const readText = (path: string): string => readFileSync(path, 'utf8');
const SMALL: Db12CopyInput = { warmupDraws: 50_000, chunkDraws: 50_000, chunks: 6, minChunks: 4, budgetSeconds: 60 };

describe('db12Copy', () => {
  const original = (process as { threadCpuUsage?: unknown }).threadCpuUsage;
  afterEach(() => {
    (process as { threadCpuUsage?: unknown }).threadCpuUsage = original;
  });

  it('draws from normal(10, 1) and times every chunk on the per-thread clock', () => {
    const result = db12Copy({ ...SMALL, chunkDraws: 100_000 }, () => threadCpuSeconds(readText), threadCpuClock());
    expect(result.mean).toBeGreaterThan(9.98);
    expect(result.mean).toBeLessThan(10.02);
    expect(result.variance).toBeGreaterThan(0.97);
    expect(result.variance).toBeLessThan(1.03);
    expect(result.chunkCpu).toHaveLength(6);
    expect(result.chunkWall).toHaveLength(6);
    for (const [i, cpu] of result.chunkCpu.entries()) {
      expect(cpu).toBeGreaterThan(0);
      expect(cpu).toBeLessThanOrEqual((result.chunkWall[i] as number) + 0.002);
    }
    expect(result.clock).toBe(typeof original === 'function' ? 'threadCpuUsage' : 'schedstat');
  });

  it('stops adding chunks once the wall budget is spent, but never below minChunks', () => {
    const result = db12Copy(
      { ...SMALL, chunks: 50, minChunks: 3, budgetSeconds: 1e-9 },
      () => threadCpuSeconds(readText),
      threadCpuClock(),
    );
    expect(result.chunkCpu).toHaveLength(3);
  });

  it('falls back to /proc/thread-self/schedstat without process.threadCpuUsage', () => {
    (process as { threadCpuUsage?: unknown }).threadCpuUsage = undefined;
    expect(threadCpuClock()).toBe('schedstat');
    const result = db12Copy(SMALL, () => threadCpuSeconds(readText), threadCpuClock());
    expect(Math.min(...result.chunkCpu)).toBeGreaterThan(0);
  });

  it('says so when the schedstat clock is unreadable', () => {
    (process as { threadCpuUsage?: unknown }).threadCpuUsage = undefined;
    expect(() => threadCpuSeconds(() => 'garbage')).toThrow(/cannot read per-thread CPU time/);
  });
});

describe('measureCpuPower', () => {
  it('the stop signal ends the measurement at once (the worker threads are terminated)', async () => {
    const controller = new AbortController();
    const long = { warmupDraws: 1_000_000, chunkDraws: 1_000_000, chunks: 1000, minChunks: 1000, budgetSeconds: 600 };
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await expect(measureCpuPower({ copies: 2, logger: silentLogger(), shape: long, signal: controller.signal })).rejects.toThrow(
      'DB12: stopped by the stop signal',
    );
    // 1000 chunks of a million draws would take minutes.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('runs one copy per processor in worker threads and takes the minimum, calibrated and corrected', async () => {
    const result = await measureCpuPower({ copies: 2, correction: 2, logger: silentLogger(), shape: SMALL });
    expect(result.source).toBe('db12');
    expect(result.raw).toHaveLength(2);
    result.raw.forEach((raw, index) => expect(raw).toBeCloseTo((result.uncalibratedNorm[index] as number) * result.calibration.k, 9));
    expect(result.power).toBe(roundToTenth(Math.min(...result.raw) / 2));
    expect(result.spread.chunks).toBe(6);
    expect(result.spread.low).toBeLessThanOrEqual(0);
    expect(result.spread.high).toBeGreaterThanOrEqual(0);
    // Each copy's clock counts its own thread only: CPU time cannot exceed the wall time it ran.
    // (process.cpuUsage, summed over all threads, breaks this as soon as copies overlap.)
    for (const cpu of result.cpuSeconds) expect(cpu).toBeLessThanOrEqual(result.wallSeconds * 1.05 + 0.01);
  });

  it('uses the calibration of the CPU it is given, and the generic one for an unknown CPU', async () => {
    const amd = await measureCpuPower({
      copies: 1,
      logger: silentLogger(),
      shape: SMALL,
      cpu: { arch: 'x86_64', vendor: 'AuthenticAMD', family: 25, model: 1, modelName: 'AMD EPYC' },
    });
    expect(amd.calibration.id).toBe('amd-family-25');
    const other = await measureCpuPower({
      copies: 1,
      logger: silentLogger(),
      shape: SMALL,
      cpu: { arch: 'riscv64', vendor: '', family: null, model: null, modelName: '' },
    });
    expect(other.calibration).toEqual(GENERIC_CALIBRATION);
  });

  it('refuses a power outside the sane range (a clock fault), naming it', async () => {
    const huge = { ...GENERIC_CALIBRATION, k: 1e6 };
    await expect(measureCpuPower({ copies: 1, logger: silentLogger(), shape: SMALL, calibration: huge })).rejects.toThrow(
      /DB12: measured power \d+(\.\d)? is outside the sane range 1\.\.250 per processor/,
    );
  });

  it('refuses nonsense options with a one-line reason', async () => {
    const logger = silentLogger();
    await expect(measureCpuPower({ copies: 0, logger })).rejects.toThrow('DB12: copies must be a positive integer, got 0');
    await expect(measureCpuPower({ copies: 1, logger, correction: 0 })).rejects.toThrow(/correction must be a positive number/);
    await expect(measureCpuPower({ copies: 1, logger, shape: { chunkDraws: 1.5 } })).rejects.toThrow(
      /chunkDraws must be a positive integer/,
    );
    await expect(measureCpuPower({ copies: 1, logger, shape: { chunks: 2, minChunks: 3 } })).rejects.toThrow(
      /minChunks \(3\) exceeds chunks \(2\)/,
    );
  });
});

describe('readCpuIdentity', () => {
  it('reads this machine, and falls back to an unknown CPU when /proc/cpuinfo cannot be read', () => {
    expect(typeof readCpuIdentity().arch).toBe('string');
    expect(
      readCpuIdentity(() => {
        throw new Error('ENOENT');
      }),
    ).toMatchObject({ vendor: '', family: null, modelName: '' });
  });
});

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { db12Copy, threadCpuClock, threadCpuSeconds } from './db12-copy.js';
import { DB12_CALIBRATION } from './db12-calibration.js';
import { measureCpuPower, normFromCpu, roundToTenth } from './db12.js';

const readText = (path: string): string => readFileSync(path, 'utf8');
const SMALL = 200_000;

describe('db12Copy', () => {
  const original = (process as { threadCpuUsage?: unknown }).threadCpuUsage;
  afterEach(() => {
    (process as { threadCpuUsage?: unknown }).threadCpuUsage = original;
  });

  it('draws from normal(10, 1) and measures per-thread CPU', () => {
    const result = db12Copy({ iterations: 1, draws: SMALL }, () => threadCpuSeconds(readText), threadCpuClock());
    expect(result.mean).toBeGreaterThan(9.98);
    expect(result.mean).toBeLessThan(10.02);
    expect(result.variance).toBeGreaterThan(0.97);
    expect(result.variance).toBeLessThan(1.03);
    expect(result.cpuSeconds).toBeGreaterThan(0);
    expect(result.clock).toBe(typeof original === 'function' ? 'threadCpuUsage' : 'schedstat');
  });

  it('falls back to /proc/thread-self/schedstat without process.threadCpuUsage', () => {
    (process as { threadCpuUsage?: unknown }).threadCpuUsage = undefined;
    expect(threadCpuClock()).toBe('schedstat');
    const result = db12Copy({ iterations: 1, draws: SMALL }, () => threadCpuSeconds(readText), threadCpuClock());
    expect(result.cpuSeconds).toBeGreaterThan(0);
  });

  it('says so when the schedstat clock is unreadable', () => {
    (process as { threadCpuUsage?: unknown }).threadCpuUsage = undefined;
    expect(() => threadCpuSeconds(() => 'garbage')).toThrow(/cannot read per-thread CPU time/);
  });
});

describe('measureCpuPower', () => {
  it('runs one copy per processor in worker threads and takes the minimum, calibrated and corrected', async () => {
    const result = await measureCpuPower({ copies: 2, correction: 2, logger: silentLogger(), draws: SMALL });
    expect(result.source).toBe('db12');
    expect(result.raw).toHaveLength(2);
    expect(result.calibration).toBe(DB12_CALIBRATION.k);
    result.raw.forEach((raw, index) => expect(raw).toBeCloseTo((result.jsNorm[index] as number) * DB12_CALIBRATION.k, 9));
    expect(result.power).toBe(roundToTenth(Math.min(...result.raw) / 2));
    // Each copy's clock counts its own thread only: CPU time cannot exceed the wall time it ran.
    // (process.cpuUsage, summed over all threads, breaks this as soon as copies overlap.)
    for (const cpu of result.cpuSeconds) expect(cpu).toBeLessThanOrEqual(result.wallSeconds * 1.05 + 0.01);
  });

  it('refuses nonsense options with a one-line reason', async () => {
    const logger = silentLogger();
    await expect(measureCpuPower({ copies: 0, logger })).rejects.toThrow('DB12: copies must be a positive integer, got 0');
    await expect(measureCpuPower({ copies: 1, logger, correction: 0 })).rejects.toThrow(/correction must be a positive number/);
    await expect(measureCpuPower({ copies: 1, logger, draws: 1.5 })).rejects.toThrow(/draws must be a positive integer/);
  });
});

describe('normFromCpu', () => {
  it('is 250 n / cpu, scaled to 12.5 M draws', () => {
    expect(normFromCpu(5, 1, 12_500_000)).toBe(50);
    expect(normFromCpu(1.25, 1, 3_125_000)).toBe(50);
    expect(normFromCpu(10, 2, 12_500_000)).toBe(50);
  });
  it('refuses a zero CPU time', () => {
    expect(() => normFromCpu(0, 1, 1)).toThrow(/per-thread CPU clock is not usable/);
  });
});

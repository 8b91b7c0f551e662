import { describe, expect, it } from 'vitest';
import { findViolation, stalledRatio, type WatchdogSample } from './checks.js';
import { DEFAULT_WATCHDOG_LIMITS, resolveLimits } from './limits.js';

const s = (fields: Partial<WatchdogSample>): WatchdogSample => ({
  wallSeconds: 0,
  cpuSeconds: 0,
  pssMB: 10,
  rssMB: 10,
  vsizeMB: 100,
  diskFreeMB: 10_000,
  loadAverage: 0.5,
  stdoutBytes: 0,
  secondsSinceLastWrite: 0,
  processCount: 1,
  ...fields,
});

describe('resolveLimits', () => {
  // The option-set limits (stalled window, looping, kill grace) have their defaults in the option table.
  const optionSet = { stalled: { windowSeconds: 1800, minCpuRatio: 0.05 }, loopingSeconds: 7200, killGraceMs: 10_000 };
  it('DIRAC defaults for the rest: 10 s polling, 3 days wall clock, 10 MB disk', () => {
    expect(resolveLimits(optionSet)).toEqual({ ...DEFAULT_WATCHDOG_LIMITS, ...optionSet });
    expect(DEFAULT_WATCHDOG_LIMITS).toMatchObject({ sampleIntervalMs: 10_000, wallClockSeconds: 259_200, minDiskMB: 10 });
  });
  it('null switches a check off, undefined keeps the default', () => {
    expect(resolveLimits({ ...optionSet, wallClockSeconds: null, minDiskMB: undefined })).toMatchObject({
      wallClockSeconds: null,
      minDiskMB: 10,
    });
  });
});

describe('findViolation', () => {
  const limits = resolveLimits({
    memoryMB: 2000,
    maxStdoutBytes: 1000,
    cpuSeconds: 100,
    stalled: { windowSeconds: 60, minCpuRatio: 0.05 },
    loopingSeconds: 300,
    wallClockSeconds: 1000,
    killGraceMs: 10_000,
  });

  it('nothing wrong', () => expect(findViolation(s({ wallSeconds: 30, cpuSeconds: 29 }), [s({})], limits, null)).toBeNull());

  it.each([
    ['stdout', s({ stdoutBytes: 1001 }), 'stdout is 1001 bytes, limit 1000'],
    ['memory', s({ pssMB: 2000.5 }), 'PSS of the job is 2000.5 MB, limit 2000 MB'],
    ['disk', s({ diskFreeMB: 9.4 }), '9.4 MB free in the job directory, minimum 10 MB'],
    ['wallclock', s({ wallSeconds: 1000.5, cpuSeconds: 900 }), 'wall clock 1000.5 s, limit 1000 s'],
    ['cpu', s({ wallSeconds: 120, cpuSeconds: 100.2 }), 'CPU 100.2 s, limit 100 s'],
    [
      'looping',
      s({ wallSeconds: 40, cpuSeconds: 40, secondsSinceLastWrite: 301 }),
      'no file in the job directory written for 301 s, limit 300 s',
    ],
  ])('%s', (reason, sample, detail) => {
    expect(findViolation(sample, [s({})], limits, null)).toEqual({ reason, detail });
  });

  it('stdout is named before memory and disk when several limits break at once', () => {
    expect(findViolation(s({ stdoutBytes: 5000, pssMB: 9999, diskFreeMB: 1 }), [], limits, null)?.reason).toBe('stdout');
  });

  it('time left at or below the floor', () => {
    const withFloor = resolveLimits({ ...limits, timeLeftFloorSeconds: 120 });
    expect(findViolation(s({}), [], withFloor, 121)).toBeNull();
    expect(findViolation(s({}), [], withFloor, 120)?.reason).toBe('timeleft');
  });

  it('stalled only after a full window with too little CPU', () => {
    const start = s({});
    expect(findViolation(s({ wallSeconds: 59, cpuSeconds: 0 }), [start], limits, null)).toBeNull();
    expect(findViolation(s({ wallSeconds: 61, cpuSeconds: 3.2 }), [start], limits, null)).toBeNull();
    expect(findViolation(s({ wallSeconds: 61, cpuSeconds: 2.9 }), [start], limits, null)).toEqual({
      reason: 'stalled',
      detail: 'CPU/wall 4.75 % over the last 60 s, minimum 5 %',
    });
  });
});

describe('stalledRatio', () => {
  it('uses the newest sample at least one window old', () => {
    const history = [s({ wallSeconds: 0, cpuSeconds: 0 }), s({ wallSeconds: 50, cpuSeconds: 50 }), s({ wallSeconds: 100, cpuSeconds: 51 })];
    // Reference is the 50 s sample (150 - 50 >= 100), not the start.
    expect(stalledRatio(s({ wallSeconds: 150, cpuSeconds: 52 }), history, 100)).toBeCloseTo(0.02);
  });
  it('multi-core payloads may exceed 1', () => {
    expect(stalledRatio(s({ wallSeconds: 10, cpuSeconds: 40 }), [s({})], 10)).toBe(4);
  });
});

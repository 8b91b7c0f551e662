import { describe, expect, it } from 'vitest';
import { readTimeLeft, type TimeLeftReport } from '../probes/batch/timeleft/index.js';
import { fixture, replayRunner } from '../probes/batch/timeleft/test-fixtures.js';
import { silentLogger } from '../core/logger.js';
import { cpuWorkLeft } from './cpu-work-left.js';

async function diracVectorReport(): Promise<TimeLeftReport> {
  const run = replayRunner({
    'sacct -j 19283 -o JobID,CPUTimeRAW,AllocCPUS,ElapsedRaw,Timelimit -X -n -P --delimiter=,': {
      stdout: fixture('slurm/sacct-dirac-vector.txt'),
    },
  });
  return readTimeLeft({ env: { SLURM_JOB_ID: '19283' }, batch: null, run, config: {}, logger: silentLogger(), now: () => 0 });
}

describe('cpuWorkLeft', () => {
  it("reproduces DIRAC's Test_TimeLeft vector: power 10 -> 9000, power 15 -> 13500", async () => {
    const timeLeft = await diracVectorReport();
    expect(cpuWorkLeft({ timeLeft, power: 10, cpuConsumed: 0, processors: 1 })).toEqual({
      work: 9000,
      secondsLeft: 900,
      rule: 'plain',
      source: 'slurm:sacct',
    });
    expect(cpuWorkLeft({ timeLeft, power: 15, cpuConsumed: 0, processors: 1 }).work).toBe(13500);
  });

  it('keeps the StopMargin out of the work it advertises (DIRAC #8745): wall clock, CPU and configured units', async () => {
    const timeLeft = await diracVectorReport();
    // The vector's sacct source counts wall clock: (1800 - 900 - 300) * 10
    expect(cpuWorkLeft({ timeLeft, power: 10, cpuConsumed: 0, processors: 1, stopMarginSeconds: 300 })).toMatchObject({
      work: 6000,
      secondsLeft: 600,
    });
    // (1800 - 900 - 300) * 10 * 7200 / 900
    expect(cpuWorkLeft({ timeLeft, power: 10, cpuConsumed: 7200, processors: 1, stopMarginSeconds: 300 }).work).toBe(48000);
    // Less time left than the margin advertises nothing, never a negative figure.
    expect(cpuWorkLeft({ timeLeft, power: 10, cpuConsumed: 0, processors: 1, stopMarginSeconds: 1000 }).work).toBe(0);
    const configured = { ...timeLeft, reported: null, secondsLeft: 4000, source: 'config' } as typeof timeLeft;
    // Configured CPU seconds of a 4-processor slot: the margin is spent on each processor.
    expect(cpuWorkLeft({ timeLeft: configured, power: 10, cpuConsumed: 0, processors: 4, stopMarginSeconds: 300 }).work).toBe(
      (4000 - 1200) * 10,
    );
  });

  it('renormalises by the CPU really consumed after an hour of it', async () => {
    const timeLeft = await diracVectorReport();
    // (1800 - 900) * 10 * 7200 / 900
    expect(cpuWorkLeft({ timeLeft, power: 10, cpuConsumed: 7200, processors: 1 })).toMatchObject({ work: 72000, rule: 'renormalised' });
    expect(cpuWorkLeft({ timeLeft, power: 10, cpuConsumed: 3600, processors: 1 }).rule).toBe('plain');
  });

  it('uses the processors for the fill-ins of a CPU-accounted source', () => {
    const timeLeft: TimeLeftReport = {
      source: 'mjf',
      system: 'mjf',
      processors: 1,
      shutdownTime: null,
      readAt: 0,
      attempts: [],
      secondsLeft: 0,
      usage: null,
      reported: { CPU: null, CPULimit: 40000, WallClock: 1000, WallClockLimit: 10000, Unit: 'CPU', source: 'mjf' },
    };
    expect(cpuWorkLeft({ timeLeft, power: 2, cpuConsumed: 0, processors: 4 })).toMatchObject({ secondsLeft: 36000, work: 72000 });
    expect(cpuWorkLeft({ timeLeft, power: 2, cpuConsumed: 0, processors: 1 })).toMatchObject({ secondsLeft: 39000 });
  });

  it('charges the configured CPU time with what the pilot consumed, never below zero', () => {
    const timeLeft: TimeLeftReport = {
      source: 'config:queue',
      system: null,
      processors: 1,
      shutdownTime: null,
      readAt: 0,
      attempts: [],
      secondsLeft: 7200,
      usage: null,
      reported: null,
    };
    expect(cpuWorkLeft({ timeLeft, power: 10, cpuConsumed: 200, processors: 1 })).toEqual({
      work: 70000,
      secondsLeft: 7000,
      rule: 'configured',
      source: 'config:queue',
    });
    expect(cpuWorkLeft({ timeLeft, power: 10, cpuConsumed: 9000, processors: 1 }).work).toBe(0);
  });

  it('refuses a missing power, as DIRAC does without CPUNormalizationFactor', async () => {
    const timeLeft = await diracVectorReport();
    expect(() => cpuWorkLeft({ timeLeft, power: 0, cpuConsumed: 0, processors: 1 })).toThrow(
      /CPU power .* must be a positive number, got 0/,
    );
    expect(() => cpuWorkLeft({ timeLeft, power: Number.NaN, cpuConsumed: 0, processors: 1 })).toThrow(/got NaN/);
  });
});

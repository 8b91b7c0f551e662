import { describe, expect, it } from 'vitest';
import { median, normOf, quantile, summarizeChunks } from './db12-stats.js';

// 500 k draws in 0.1 s of CPU: NORM = 250 * 0.04 / 0.1 = 100.
const D = 500_000;
const cpuFor = (norm: number): number => (250 * (D / 12_500_000)) / norm;

describe('normOf', () => {
  it("is DB12's 250 per 12.5 M draws per CPU second", () => {
    expect(normOf(12_500_000, 5)).toBe(50);
    expect(normOf(3_125_000, 1.25)).toBe(50);
    expect(normOf(D, 0.1)).toBeCloseTo(100, 9);
  });
});

describe('quantile and median', () => {
  it('interpolate between sorted values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.1)).toBeCloseTo(14, 9);
    expect(quantile([10, 20, 30, 40, 50], 0.9)).toBeCloseTo(46, 9);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('summarizeChunks', () => {
  it('weighs chunks by their CPU time, as one DB12 window does: total draws over total CPU', () => {
    const cpu = [cpuFor(100), cpuFor(100), cpuFor(80), cpuFor(120)];
    const { summary } = summarizeChunks(
      cpu,
      cpu.map((c) => c + 0.001),
      D,
    );
    // Not the mean of the NORMs (100): 4 chunks of draws over their summed CPU.
    expect(summary?.norm).toBeCloseTo(
      normOf(
        4 * D,
        cpu.reduce((a, b) => a + b),
      ),
      9,
    );
    expect(summary?.norm).toBeCloseTo(97.96, 2); // the harmonic mean of 100, 100, 80, 120
    expect(summary?.median).toBeCloseTo(100, 9);
    expect(summary?.kept).toBe(4);
    expect(summary?.dropped).toEqual([]);
  });

  it('drops a chunk whose clock says it used more CPU than wall, or none (the os.times fault of DIRAC#7760)', () => {
    const cpu = [cpuFor(100), cpuFor(100), 0, cpuFor(100), cpuFor(101)];
    const wall = cpu.map((c) => c + 0.001);
    wall[3] = (cpu[3] as number) / 3; // three times more CPU than wall: impossible for one thread
    const { summary, dropped } = summarizeChunks(cpu, wall, D);
    expect(dropped.map((d) => [d.index, d.reason])).toEqual([
      [2, 'clock'],
      [3, 'clock'],
    ]);
    expect(dropped[0]?.norm).toBeNull();
    expect(summary?.kept).toBe(3);
    expect(summary?.norm).toBeCloseTo(normOf(3 * D, cpuFor(100) * 2 + cpuFor(101)), 9);
  });

  it('drops chunks more than a factor 2 away from the median, which would otherwise move the figure 5x', () => {
    // A clock that under-reads one chunk 50 times (a 2250 where 45 is right) ...
    const cpu = [cpuFor(45), cpuFor(44), cpuFor(46), cpuFor(2250), cpuFor(45), cpuFor(15)];
    const { summary, dropped } = summarizeChunks(
      cpu,
      cpu.map(() => 1),
      D,
    );
    expect(dropped.map((d) => [d.index, d.reason])).toEqual([
      [3, 'outlier'],
      [5, 'outlier'],
    ]);
    expect(summary?.norm).toBeCloseTo(45, 0);
  });

  it('reports the spread of the kept chunks and a standard error', () => {
    const norms = [90, 95, 100, 100, 100, 105, 110, 100, 100, 100];
    const cpu = norms.map(cpuFor);
    const { summary } = summarizeChunks(
      cpu,
      cpu.map((c) => c + 0.001),
      D,
    );
    expect(summary?.median).toBeCloseTo(100, 9);
    expect(summary?.low).toBeCloseTo(
      quantile(
        [...norms].sort((a, b) => a - b),
        0.1,
      ) /
        100 -
        1,
      9,
    );
    expect(summary?.high).toBeCloseTo(
      quantile(
        [...norms].sort((a, b) => a - b),
        0.9,
      ) /
        100 -
        1,
      9,
    );
    expect(summary?.low).toBeLessThan(0);
    expect(summary?.high).toBeGreaterThan(0);
    expect(summary?.dispersion).toBe(0); // more than half the chunks sit on the median
    const wide = [80, 90, 100, 110, 120].map(cpuFor);
    const w = summarizeChunks(
      wide,
      wide.map((c) => c + 0.001),
      D,
    ).summary;
    expect(w?.dispersion).toBeCloseTo((1.4826 * 10) / 100, 9);
    expect(w?.standardError).toBeCloseTo((1.4826 * 10) / 100 / Math.sqrt(5), 9);
  });

  it('refuses to summarise when fewer than 3 chunks are usable', () => {
    const { summary, dropped } = summarizeChunks([0, -1, cpuFor(50), cpuFor(50)], [1, 1, 1, 1], D);
    expect(summary).toBeNull();
    expect(dropped).toHaveLength(2);
  });
});

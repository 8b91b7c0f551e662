import { describe, expect, it } from 'vitest';
import { median, openFds, rssMB, slopePerMinute, type ProcSample } from './proc-sample.js';

const series = (f: (t: number) => number): ProcSample[] => Array.from({ length: 21 }, (_, i) => ({ t: i * 3, rssMB: f(i * 3), fds: 30 }));

describe('soak samples', () => {
  it('slopePerMinute: a steady climb, a flat line with noise, too few points', () => {
    expect(
      slopePerMinute(
        series((t) => 100 + t / 30),
        (s) => s.rssMB,
      ),
    ).toBeCloseTo(2, 6); // 2 MB per minute
    expect(
      Math.abs(
        slopePerMinute(
          series((t) => 100 + ((t / 3) % 2 ? 1 : -1)),
          (s) => s.rssMB,
        ),
      ),
    ).toBeLessThan(0.2);
    expect(slopePerMinute(series(() => 100).slice(0, 1), (s) => s.rssMB)).toBe(0);
  });

  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('reads this process, and null for one that is gone', () => {
    expect(rssMB(process.pid)).toBeGreaterThan(1);
    expect(openFds(process.pid)).toBeGreaterThan(2);
    expect(rssMB(999_999_999)).toBeNull();
    expect(openFds(999_999_999)).toBeNull();
  });
});

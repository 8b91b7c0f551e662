import { describe, expect, it } from 'vitest';
import { benchmarkToJson, formatBenchmark, formatCpuWorkLeft } from './format.js';

describe('formatBenchmark', () => {
  it('prints power, source and the DB12 details', () => {
    const text = formatBenchmark({
      power: 47.3,
      source: 'db12',
      detail: 'DB12, 2 copies, min of raw',
      measurement: {
        power: 47.3, raw: [47.31, 48.02], source: 'db12', jsNorm: [443.8, 450.5], calibration: 0.1066, correction: 1,
        copies: 2, iterations: 1, draws: 3_125_000, cpuSeconds: [0.141, 0.139], wallSeconds: 0.31, clock: 'threadCpuUsage',
      },
    });
    expect(text.split('\n')[0]).toBe('CPU power: 47.3 per processor (db12: DB12, 2 copies, min of raw)');
    expect(text).toContain('raw: 47.3 48.0');
    expect(text).toContain('calibration k = 0.1066');
  });
  it('prints configured and MJF powers on one line, and JSON without a measurement', () => {
    expect(formatBenchmark({ power: 13, source: 'mjf', detail: '$JOBFEATURES/hs06_job / allocated_cpu' })).toBe(
      'CPU power: 13 per processor (mjf: $JOBFEATURES/hs06_job / allocated_cpu)\n',
    );
    expect(benchmarkToJson({ power: 13, source: 'config', detail: 'configured' })).toEqual({ power: 13, source: 'config', detail: 'configured' });
  });
  it('prints CPU work left with its rule', () => {
    expect(formatCpuWorkLeft({ work: 9000, secondsLeft: 900, rule: 'plain', source: 'slurm:sacct' })).toBe(
      'CPU work left: 9000.0 (plain, 900 s left, from slurm:sacct)\n',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { benchmarkToJson, formatBenchmark, formatCpuWorkLeft } from './format.js';

describe('formatBenchmark', () => {
  it('prints power, source, spread and the DB12 details', () => {
    const text = formatBenchmark({
      power: 47.3,
      source: 'db12',
      detail: 'DB12 (JavaScript, calibration amd-family-25), 2 copies, min of raw',
      spread: { low: -0.061, high: 0.042, standardError: 0.012 },
      measurement: {
        power: 47.3,
        raw: [47.31, 48.02],
        source: 'db12',
        engine: 'javascript',
        uncalibratedNorm: [443.8, 450.5],
        calibration: { id: 'amd-family-25', k: 0.1066, relativeUncertainty: 0.05, measured: true, measuredOn: 'here' },
        correction: 1,
        copies: 2,
        shape: { warmupDraws: 1, chunkDraws: 1, chunks: 40, minChunks: 8, budgetSeconds: 1.2 },
        spread: { low: -0.061, high: 0.042, standardError: 0.012, chunks: 40, kept: 39 },
        dropped: [[{ index: 3, norm: 2250, reason: 'outlier' }], []],
        cpuSeconds: [0.941, 0.939],
        wallSeconds: 1.01,
        clock: 'threadCpuUsage',
        cpu: { arch: 'x86_64', vendor: 'AuthenticAMD', family: 25, model: 1, modelName: 'AMD EPYC' },
      },
    });
    expect(text.split('\n')[0]).toBe(
      'CPU power: 47.3 per processor (db12: DB12 (JavaScript, calibration amd-family-25), 2 copies, min of raw)',
    );
    expect(text).toContain('spread: -6.1% .. +4.2%, standard error 1.2%');
    expect(text).toContain('raw: 47.3 48.0');
    expect(text).toContain('calibration amd-family-25: k = 0.1066 (±5%)');
    expect(text).toContain('chunks: 39 of 40 kept (1 dropped over all copies: clock fault or outlier)');
    expect(text).toContain('CPU: AMD EPYC (AuthenticAMD, family 25, model 1)');
  });
  it('prints configured and MJF powers on one line, and JSON without a measurement', () => {
    expect(formatBenchmark({ power: 13, source: 'mjf', detail: '$JOBFEATURES/hs06_job / allocated_cpu' })).toBe(
      'CPU power: 13 per processor (mjf: $JOBFEATURES/hs06_job / allocated_cpu)\n',
    );
    expect(benchmarkToJson({ power: 13, source: 'config', detail: 'configured' })).toEqual({
      power: 13,
      source: 'config',
      detail: 'configured',
    });
  });
  it('prints CPU work left with its rule', () => {
    expect(formatCpuWorkLeft({ work: 9000, secondsLeft: 900, rule: 'plain', source: 'slurm:sacct' })).toBe(
      'CPU work left: 9000.0 (plain, 900 s left, from slurm:sacct)\n',
    );
  });
});

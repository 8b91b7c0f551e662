import type { CpuPowerResult } from './cpu-power.js';
import type { CpuWorkLeft } from './cpu-work-left.js';

const percent = (value: number): string => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;

/** Human lines for `pilot benchmark`: the power, where it came from and how steady it is, then per-copy figures. */
export function formatBenchmark(result: CpuPowerResult): string {
  const lines = [`CPU power: ${result.power} per processor (${result.source}: ${result.detail})`];
  if (result.spread) {
    lines.push(
      `  spread: ${percent(result.spread.low)} .. ${percent(result.spread.high)}, standard error ${(result.spread.standardError * 100).toFixed(1)}%`,
    );
  }
  for (const skipped of result.skipped ?? []) lines.push(`  not used: ${skipped}`);
  const m = result.measurement;
  if (m) {
    lines.push(`  copies: ${m.copies}, raw: ${m.raw.map((value) => value.toFixed(1)).join(' ')}, correction ${m.correction}`);
    lines.push(
      m.engine === 'cpython'
        ? `  engine: CPython ${m.interpreter?.version ?? ''} (${m.interpreter?.path ?? ''}), DB12's own loop and interpreter: no calibration`
        : `  calibration ${m.calibration.id}: k = ${m.calibration.k} (±${(m.calibration.relativeUncertainty * 100).toFixed(0)}%${m.calibration.measured ? '' : ', not measured on this CPU family'}), JS NORM ${m.uncalibratedNorm.map((value) => value.toFixed(1)).join(' ')}`,
    );
    const dropped = m.dropped.reduce((sum, copy) => sum + copy.length, 0);
    lines.push(
      `  chunks: ${m.spread.kept} of ${m.spread.chunks} kept${dropped ? ` (${dropped} dropped over all copies: clock fault or outlier)` : ''}; CPU per copy ${m.cpuSeconds.map((value) => value.toFixed(3)).join(' ')} s (${m.clock}), wall ${m.wallSeconds.toFixed(2)} s`,
    );
    if (m.cpu.modelName)
      lines.push(
        `  CPU: ${m.cpu.modelName} (${m.cpu.vendor || 'unknown vendor'}${m.cpu.family !== null ? `, family ${m.cpu.family}` : ''}${m.cpu.model !== null ? `, model ${m.cpu.model}` : ''})`,
      );
  }
  return `${lines.join('\n')}\n`;
}

export function benchmarkToJson(result: CpuPowerResult): Record<string, unknown> {
  return {
    power: result.power,
    source: result.source,
    detail: result.detail,
    ...(result.spread ? { spread: result.spread } : {}),
    ...(result.skipped?.length ? { skipped: result.skipped } : {}),
    ...(result.measurement ? { db12: result.measurement } : {}),
  };
}

export function formatCpuWorkLeft(result: CpuWorkLeft): string {
  return `CPU work left: ${result.work.toFixed(1)} (${result.rule}, ${Math.round(result.secondsLeft)} s left, from ${result.source})\n`;
}

import type { CpuPowerResult } from './cpu-power.js';
import type { CpuWorkLeft } from './cpu-work-left.js';

/** Human lines for `pilot benchmark`: the power and where it came from, then per-copy figures. */
export function formatBenchmark(result: CpuPowerResult): string {
  const lines = [`CPU power: ${result.power} per processor (${result.source}: ${result.detail})`];
  const m = result.measurement;
  if (m) {
    lines.push(`  copies: ${m.copies}, raw: ${m.raw.map((value) => value.toFixed(1)).join(' ')}`);
    lines.push(`  calibration k = ${m.calibration} (JS NORM ${m.jsNorm.map((value) => value.toFixed(1)).join(' ')}), correction ${m.correction}`);
    lines.push(`  CPU per copy: ${m.cpuSeconds.map((value) => value.toFixed(3)).join(' ')} s (${m.clock}), wall ${m.wallSeconds.toFixed(2)} s`);
  }
  return `${lines.join('\n')}\n`;
}

export function benchmarkToJson(result: CpuPowerResult): Record<string, unknown> {
  return { power: result.power, source: result.source, detail: result.detail, ...(result.measurement ? { db12: result.measurement } : {}) };
}

export function formatCpuWorkLeft(result: CpuWorkLeft): string {
  return `CPU work left: ${result.work.toFixed(1)} (${result.rule}, ${Math.round(result.secondsLeft)} s left, from ${result.source})\n`;
}

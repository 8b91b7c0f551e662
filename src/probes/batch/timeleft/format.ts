import type { TimeLeftReport } from './index.js';

/** `1-02:03:04` style (days only when needed), as Slurm prints durations. */
export function formatDuration(totalSeconds: number): string {
  const sign = totalSeconds < 0 ? '-' : '';
  let rest = Math.round(Math.abs(totalSeconds));
  const days = Math.floor(rest / 86400);
  rest -= days * 86400;
  const hms = [Math.floor(rest / 3600), Math.floor((rest % 3600) / 60), rest % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return `${sign}${days > 0 ? `${days}-` : ''}${hms}`;
}

/** Human lines for `pilot timeleft`: the answer first, then the counters, then what was tried. */
export function formatTimeLeft(report: TimeLeftReport): string {
  const lines: string[] = [];
  if (report.usage) {
    const unit = report.usage.Unit === 'WallClock' ? 'wall clock' : 'CPU';
    lines.push(`Time left: ${formatDuration(report.secondsLeft)} (${Math.round(report.secondsLeft)} s of ${unit}) from ${report.source}`);
    lines.push(`  wall clock: ${formatDuration(report.usage.WallClock)} used of ${formatDuration(report.usage.WallClockLimit)}`);
    lines.push(
      `  CPU:        ${formatDuration(report.usage.CPU)} used of ${formatDuration(report.usage.CPULimit)} (${report.processors} processor${report.processors === 1 ? '' : 's'})`,
    );
    const guessed = report.reported
      ? (['CPU', 'CPULimit', 'WallClock', 'WallClockLimit'] as const).filter((key) => report.reported?.[key] === null)
      : [];
    if (guessed.length > 0) lines.push(`  derived by DIRAC's fill-in rules: ${guessed.join(', ')}`);
  } else {
    lines.push(
      `Time left: ${formatDuration(report.secondsLeft)} (${Math.round(report.secondsLeft)} s of CPU) from ${report.source} (no batch-system figure)`,
    );
  }
  if (report.shutdownTime !== null) lines.push(`  machine shutdown: ${new Date(report.shutdownTime * 1000).toISOString()}`);
  for (const attempt of report.attempts) lines.push(`  not used: ${attempt.error}`);
  return `${lines.join('\n')}\n`;
}

/** A plain JSON object for `pilot timeleft --json` (numbers in seconds). */
export function timeLeftToJson(report: TimeLeftReport): Record<string, unknown> {
  return {
    source: report.source,
    system: report.system,
    secondsLeft: report.secondsLeft,
    processors: report.processors,
    usage: report.usage,
    reported: report.reported,
    shutdownTime: report.shutdownTime,
    readAt: report.readAt,
    attempts: report.attempts,
  };
}

import type { KillReason } from './kill-reasons.js';
import type { ResolvedWatchdogLimits } from './limits.js';

/** One watchdog observation of the payload, in the units the checks and the heartbeat use. */
export interface WatchdogSample {
  /** Seconds since the payload started. */
  wallSeconds: number;
  /** CPU of the whole tree, exited children included, s. Never decreases. */
  cpuSeconds: number;
  pssMB: number;
  rssMB: number;
  vsizeMB: number;
  /** Free space in the job directory, MB; null when statfs failed. */
  diskFreeMB: number | null;
  loadAverage: number | null;
  stdoutBytes: number;
  /** Seconds since any file in the job directory was last modified (job start counts as a write). */
  secondsSinceLastWrite: number;
  processCount: number;
}

export interface Violation {
  reason: KillReason;
  /** One line with the numbers, for the log and the kill detail. */
  detail: string;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/**
 * The limit checks, in the order that names the root cause best: a job that fills the disk with
 * stdout is an stdout problem first; resource exhaustion goes before time limits; the heuristics
 * (stalled, looping) come last. Pure: `history` holds earlier samples, oldest first.
 */
export function findViolation(
  sample: WatchdogSample,
  history: readonly WatchdogSample[],
  limits: ResolvedWatchdogLimits,
  timeLeftSeconds: number | null,
): Violation | null {
  if (limits.maxStdoutBytes !== null && sample.stdoutBytes > limits.maxStdoutBytes) {
    return { reason: 'stdout', detail: `stdout is ${sample.stdoutBytes} bytes, limit ${limits.maxStdoutBytes}` };
  }
  if (limits.memoryMB !== null && sample.pssMB > limits.memoryMB) {
    return { reason: 'memory', detail: `PSS of the job is ${round(sample.pssMB)} MB, limit ${limits.memoryMB} MB` };
  }
  if (limits.minDiskMB !== null && sample.diskFreeMB !== null && sample.diskFreeMB < limits.minDiskMB) {
    return { reason: 'disk', detail: `${round(sample.diskFreeMB)} MB free in the job directory, minimum ${limits.minDiskMB} MB` };
  }
  if (limits.wallClockSeconds !== null && sample.wallSeconds > limits.wallClockSeconds) {
    return { reason: 'wallclock', detail: `wall clock ${round(sample.wallSeconds)} s, limit ${limits.wallClockSeconds} s` };
  }
  if (limits.cpuSeconds !== null && sample.cpuSeconds > limits.cpuSeconds) {
    return { reason: 'cpu', detail: `CPU ${round(sample.cpuSeconds)} s, limit ${limits.cpuSeconds} s` };
  }
  if (timeLeftSeconds !== null && timeLeftSeconds <= limits.timeLeftFloorSeconds) {
    return { reason: 'timeleft', detail: `${round(timeLeftSeconds)} s left in the slot, floor ${limits.timeLeftFloorSeconds} s` };
  }
  const stalled = limits.stalled ? stalledRatio(sample, history, limits.stalled.windowSeconds) : null;
  if (limits.stalled && stalled !== null && stalled < limits.stalled.minCpuRatio) {
    return {
      reason: 'stalled',
      detail: `CPU/wall ${round(stalled * 100, 2)} % over the last ${limits.stalled.windowSeconds} s, minimum ${round(limits.stalled.minCpuRatio * 100, 2)} %`,
    };
  }
  if (limits.loopingSeconds !== null && sample.secondsSinceLastWrite > limits.loopingSeconds) {
    return {
      reason: 'looping',
      detail: `no file in the job directory written for ${Math.floor(sample.secondsSinceLastWrite)} s, limit ${limits.loopingSeconds} s`,
    };
  }
  return null;
}

/**
 * ΔCPU/ΔWall between now and the newest earlier sample at least `windowSeconds` old; null until the
 * payload has run a full window (a job is never called stalled on less evidence than that).
 */
export function stalledRatio(sample: WatchdogSample, history: readonly WatchdogSample[], windowSeconds: number): number | null {
  let reference: WatchdogSample | undefined;
  for (const earlier of history) {
    if (sample.wallSeconds - earlier.wallSeconds >= windowSeconds) reference = earlier;
    else break;
  }
  if (!reference) return null;
  const wall = sample.wallSeconds - reference.wallSeconds;
  return wall > 0 ? (sample.cpuSeconds - reference.cpuSeconds) / wall : null;
}

import path from 'node:path';
import type { HeartbeatData } from '../../backend/types.js';
import type { Logger } from '../../core/logger.js';
import type { ProcStat } from '../process/proc-parsers.js';
import { DEFAULT_PROC_ROOT } from '../process/process-table.js';
import { readLoadAverageFile } from '../../probes/load-average.js';
import { findViolation, type Violation, type WatchdogSample } from './checks.js';
import { freeDiskMB, newestMtimeMs, tailLinesOfFd } from './files.js';
import { sizeOf } from '../safe-open.js';
import type { ResolvedWatchdogLimits } from './limits.js';
import { ResourceReport } from './resource-report.js';
import { TreeUsageTracker } from './tree-usage.js';

export interface WatchdogOptions {
  /** Current processes of the payload (the supervisor's tree scan). */
  scanTree: () => ProcStat[];
  jobDir: string;
  /**
   * The payload's stdout, as the descriptor the pilot opened it on (read and append): read back
   * through it, never by name again, so a payload that replaces the name by a link or a FIFO
   * changes nothing the pilot reads. Valid until stop().
   */
  stdoutFd: number;
  limits: ResolvedWatchdogLimits;
  logger: Logger;
  /** Called once, on the first violated limit. */
  onViolation: (violation: Violation) => void;
  /** Called with every sample, after the checks (the wind-down point is watched here). */
  onSample?: (sample: WatchdogSample) => void;
  procRoot?: string;
  now?: () => number;
}

/**
 * Samples the payload every `sampleIntervalMs`, keeps what the heartbeat reports, and calls
 * `onViolation` on the first limit broken. It never kills anything itself: the supervisor does,
 * so that every kill goes through one path.
 */
export class Watchdog {
  private readonly usage: TreeUsageTracker;
  private readonly startedAt: number;
  private readonly history: WatchdogSample[] = [];
  private latestSample: WatchdogSample;
  private timer: NodeJS.Timeout | undefined;
  private violated = false;
  private readonly now: () => number;
  /** The stdout tail at stop(): the descriptor is closed after it, and its number may be reused. */
  private finalTail: string | null = null;
  /** prmon-compatible series and summary, fed by the same samples (no second walk of the tree). */
  readonly resources = new ResourceReport();

  constructor(private readonly options: WatchdogOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.usage = new TreeUsageTracker(options.procRoot);
    this.latestSample = {
      wallSeconds: 0,
      cpuSeconds: 0,
      pssMB: 0,
      rssMB: 0,
      vsizeMB: 0,
      processCount: 1,
      diskFreeMB: freeDiskMB(options.jobDir),
      loadAverage: readLoadAverage(options.procRoot),
      stdoutBytes: 0,
      secondsSinceLastWrite: 0,
    };
    // The start is the first reference point for the stalled window.
    this.history.push(this.latestSample);
  }

  /**
   * Ticks on the wall-clock multiples of the interval, so every payload's watchdog samples at the
   * same moments and they share one read of the process table (readProcessTableShared).
   */
  start(): void {
    const interval = this.options.limits.sampleIntervalMs;
    this.timer = setTimeout(
      () => {
        this.timer = setInterval(() => this.tick(), interval);
        this.tick();
      },
      interval - (Date.now() % interval),
    );
  }

  stop(): void {
    this.finalTail ??= this.stdoutTail();
    if (this.timer) {
      clearTimeout(this.timer);
      clearInterval(this.timer);
    }
    this.timer = undefined;
  }

  /** Takes a sample now and runs the checks (also what each timer tick does). */
  tick(): WatchdogSample {
    const sample = this.takeSample();
    if (!this.violated) {
      const violation = findViolation(sample, this.history, this.options.limits, this.timeLeft());
      if (violation) {
        this.violated = true;
        this.options.onViolation(violation);
      }
    }
    this.remember(sample);
    this.options.onSample?.(sample);
    return sample;
  }

  latest(): WatchdogSample {
    return this.latestSample;
  }

  /** DIRAC/DiracX heartbeat fields: MB, seconds, 1-min load, and the last lines of stdout. */
  heartbeat(): HeartbeatData {
    const s = this.latestSample;
    const data: HeartbeatData = {
      MemoryUsed: round(s.pssMB),
      Vsize: round(s.vsizeMB),
      CPUConsumed: round(s.cpuSeconds),
      WallClockTime: round((this.now() - this.startedAt) / 1000),
      StandardOutput: this.finalTail ?? this.stdoutTail(),
    };
    if (s.loadAverage !== null) data.LoadAverage = s.loadAverage;
    if (s.diskFreeMB !== null) data.AvailableDiskSpace = round(s.diskFreeMB);
    return data;
  }

  private stdoutTail(): string {
    return tailLinesOfFd(this.options.stdoutFd, this.options.limits.stdoutTailLines, this.options.limits.stdoutTailBytes);
  }

  peakMemory(): { maxPssMB: number; maxRssMB: number } {
    return { maxPssMB: this.usage.maxPssMB, maxRssMB: this.usage.maxRssMB };
  }

  raiseCpu(seconds: number): void {
    this.usage.raiseCpu(seconds);
  }

  cpuSeconds(): number {
    return this.usage.cpuSeconds;
  }

  wallSeconds(): number {
    return (this.now() - this.startedAt) / 1000;
  }

  private takeSample(): WatchdogSample {
    const { jobDir, limits, procRoot } = this.options;
    const usage = this.usage.update(this.options.scanTree());
    const now = this.now();
    this.resources.add(now / 1000, (now - this.startedAt) / 1000, usage);
    const lastWrite = Math.max(this.startedAt, newestMtimeMs(jobDir, limits.loopingScanMaxEntries));
    return {
      wallSeconds: (now - this.startedAt) / 1000,
      cpuSeconds: usage.cpuSeconds,
      pssMB: usage.pssMB,
      rssMB: usage.rssMB,
      vsizeMB: usage.vsizeMB,
      processCount: usage.processCount,
      diskFreeMB: freeDiskMB(jobDir),
      loadAverage: readLoadAverage(procRoot),
      stdoutBytes: this.finalTail === null ? sizeOf(this.options.stdoutFd) : 0,
      secondsSinceLastWrite: Math.max(0, (now - lastWrite) / 1000),
    };
  }

  private remember(sample: WatchdogSample): void {
    this.latestSample = sample;
    this.history.push(sample);
    // Keep just enough history for the stalled window: drop the oldest while the next one still spans it.
    const window = this.options.limits.stalled?.windowSeconds ?? 0;
    while (this.history.length > 2 && sample.wallSeconds - (this.history[1] as WatchdogSample).wallSeconds >= window) {
      this.history.shift();
    }
  }

  private timeLeft(): number | null {
    const callback = this.options.limits.timeLeftSeconds;
    if (!callback) return null;
    try {
      const value = callback();
      return Number.isFinite(value) ? value : null;
    } catch (error) {
      this.options.logger.warn({ err: String(error) }, 'time-left callback failed; time-left check skipped this round');
      return null;
    }
  }
}

function readLoadAverage(procRoot = DEFAULT_PROC_ROOT): number | null {
  return readLoadAverageFile(path.join(procRoot, 'loadavg'))?.load1 ?? null;
}

const round = (value: number) => Math.round(value * 100) / 100;

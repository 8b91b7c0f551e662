/**
 * The pilot's own wind-down (issue 21 §2): when the slot is about to end for everyone (a drain
 * file, the batch system's or MJF's end of the allocation coming within the StopMargin), running
 * payloads that asked for a wind-down signal get it now, in time to finish their current unit of
 * work and upload their outputs before the pilot must stop. Checked on a timer for the whole life
 * of the agent, also while it only waits for running jobs.
 */
import { existsSync } from 'node:fs';
import type { Logger } from '../core/logger.js';

export interface WindDownTarget {
  windDown(reason: string): boolean;
}

export interface WindDownWatchOptions {
  drainFile: string;
  /** Wind down when the slot's wall-clock time left falls to this many seconds. */
  leadSeconds: number;
  /** Wall-clock seconds left in the slot, null when the batch system does not count wall clock. */
  wallSecondsLeft: () => number | null;
  /** The payloads running now. */
  running: () => Iterable<WindDownTarget>;
  logger: Logger;
  intervalMs?: number;
}

/** Pure: why the pilot should wind its payloads down now, or null. */
export function windDownReason(drainFileFound: string | null, wallSecondsLeft: number | null, leadSeconds: number): string | null {
  if (drainFileFound !== null) return `drain file ${drainFileFound} exists`;
  if (wallSecondsLeft !== null && wallSecondsLeft <= leadSeconds) return `${Math.max(0, Math.round(wallSecondsLeft))} s left in the slot`;
  return null;
}

/** Starts the watch; returns its stop function. */
export function watchForWindDown(options: WindDownWatchOptions): () => void {
  const check = () => {
    let wall: number | null = null;
    try {
      wall = options.wallSecondsLeft();
    } catch {
      wall = null;
    }
    const reason = windDownReason(existsSync(options.drainFile) ? options.drainFile : null, wall, options.leadSeconds);
    if (reason === null) return;
    let told = 0;
    for (const payload of options.running()) if (payload.windDown(reason)) told++;
    if (told > 0) options.logger.info({ payloads: told }, `winding payloads down: ${reason}`);
  };
  const timer = setInterval(check, options.intervalMs ?? 10_000);
  timer.unref();
  return () => clearInterval(timer);
}

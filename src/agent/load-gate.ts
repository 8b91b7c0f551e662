/**
 * Don't take a job onto an overloaded node (issue 21 §7; PanDA pilot3's delay_to_get_job): when
 * the node's 1-minute load passes its processors × a factor (default 1.2), the next match waits,
 * up to a bound, and the reason is logged. The load average counts the whole node, so it is held
 * against the whole node's processors: holding it against the slot's share would keep every pilot
 * of a busy but healthy shared node waiting.
 */
import type { LoadAverage } from '../probes/load-average.js';

export interface LoadGateRules {
  /** Load per processor above which no job is taken; 0 turns the gate off. */
  factor: number;
  /** The longest the gate holds a match back, in total, per wait; then the match goes ahead. */
  maxWaitSeconds: number;
  /** How often the load is read again while waiting. */
  recheckSeconds: number;
}

export type LoadVerdict = { wait: false } | { wait: true; reason: string };

/** Pure: whether this load on this many processors should hold the next match back. */
export function loadVerdict(load: LoadAverage | null, processors: number, factor: number): LoadVerdict {
  if (!load || !(factor > 0) || !(processors > 0)) return { wait: false };
  const limit = processors * factor;
  if (load.load1 <= limit) return { wait: false };
  return {
    wait: true,
    reason: `1-minute load ${load.load1.toFixed(2)} above ${limit.toFixed(1)} (${processors} processors × ${factor})`,
  };
}

export interface LoadGateOptions {
  rules: LoadGateRules;
  processors: number;
  readLoad: () => LoadAverage | null;
  /** Resolves after `ms`, or early (rejecting or resolving) when the pilot must stop. */
  sleep: (ms: number) => Promise<void>;
  shutdown: AbortSignal;
  now?: () => number;
  onWait?: (reason: string) => void;
}

/**
 * Waits while the node is overloaded, at most `maxWaitSeconds`. Returns how long it waited and
 * why (null when the match may go ahead at once). A stop signal ends the wait at once.
 */
export async function waitForLoad(options: LoadGateOptions): Promise<{ waitedMs: number; reason: string | null }> {
  const now = options.now ?? Date.now;
  const started = now();
  let first: string | null = null;
  for (;;) {
    if (options.shutdown.aborted) break;
    const verdict = loadVerdict(options.readLoad(), options.processors, options.rules.factor);
    if (!verdict.wait) break;
    first ??= verdict.reason;
    options.onWait?.(verdict.reason);
    const left = options.rules.maxWaitSeconds * 1000 - (now() - started);
    if (left <= 0) break;
    await options.sleep(Math.min(left, options.rules.recheckSeconds * 1000)).catch(() => undefined);
  }
  return { waitedMs: now() - started, reason: first };
}

import type { Logger } from '../../core/logger.js';
import type { NativeAddon } from '../../native/types.js';
import type { ProcStat } from './proc-parsers.js';

/**
 * The pilot as child subreaper: orphans of a payload (double-forked daemons) are re-parented to the
 * pilot instead of init, so they stay inside the pilot's process tree, where the supervisor finds
 * and kills them, and their exit is ours to collect.
 *
 * Being a subreaper has a cost: libuv only waits for the children Node spawned, so re-parented
 * orphans would stay zombies until the pilot exits. We therefore become a subreaper only when the
 * addon can also reap (`reap`); with `setChildSubreaper` alone we stay a normal process and orphans
 * go to init, which reaps them (the tree scan still finds them by session and marker).
 */
export interface SubreaperState {
  /** True when prctl(PR_SET_CHILD_SUBREAPER) succeeded and we can reap what it brings us. */
  active: boolean;
  /** Why not, for the log and the node check; absent when active. */
  reason?: string;
}

let state: SubreaperState | undefined;
let reaper: NativeAddon['reap'];

/** Idempotent: the prctl is made once per pilot process. */
export function ensureSubreaper(native: NativeAddon | null | undefined, logger: Logger): SubreaperState {
  if (state) return state;
  if (!native) {
    state = { active: false, reason: 'native addon not loaded' };
  } else if (typeof native.reap !== 'function') {
    state = { active: false, reason: 'native addon cannot reap orphans (no reap())' };
  } else if (!safeCall(() => native.setChildSubreaper())) {
    state = { active: false, reason: 'prctl(PR_SET_CHILD_SUBREAPER) refused' };
  } else {
    reaper = native.reap.bind(native);
    state = { active: true };
  }
  if (state.active) logger.debug('pilot is a child subreaper: payload orphans are re-parented to it');
  else logger.info({ reason: state.reason }, 'pilot is not a child subreaper; orphans are tracked by session and marker');
  return state;
}

/**
 * Collects zombies that were re-parented to the pilot and belong to a payload. `tree` comes from
 * the payload's tree scan, so every pid in it is a payload descendant, never a child Node spawned
 * (the payload's root is excluded by the caller: libuv waits for that one).
 */
export function reapOrphanZombies(tree: readonly ProcStat[], excludePid: number, selfPid = process.pid): number {
  if (!state?.active || !reaper) return 0;
  const pids = tree.filter((s) => s.state === 'Z' && s.ppid === selfPid && s.pid !== excludePid).map((s) => s.pid);
  if (pids.length === 0) return 0;
  try {
    return reaper(pids).length;
  } catch {
    return 0;
  }
}

function safeCall(call: () => boolean): boolean {
  try {
    return call() === true;
  } catch {
    return false;
  }
}

/** Tests only: forget the cached state (the prctl itself cannot be undone). */
export function resetSubreaperStateForTests(): void {
  state = undefined;
  reaper = undefined;
}

import type { NativeAddon } from '../../native/types.js';
import type { Logger } from '../../core/logger.js';

let done = false;

/**
 * Before the first payload starts: the pilot makes itself non-dumpable, so a payload running as
 * the same uid can neither ptrace it nor read /proc/<pilot>/{environ,mem,maps,fd,...} (the kernel
 * makes them root-owned). The pilot still reads its own /proc/self/{status,stat,smaps_rollup,fd};
 * /proc/self/environ and io become unreadable to it, and it leaves no core dump. execve() resets
 * the flag, so this runs in the process that runs payloads, after any re-exec. Without the native
 * addon (the pure-TS fallback) it cannot be done: said once.
 */
export function makePilotNonDumpable(native: NativeAddon | null | undefined, logger: Logger): boolean {
  if (done) return true;
  done = true;
  if (!native?.setDumpable) {
    logger.warn(
      'native addon unavailable: the pilot stays dumpable, so a payload running as its user can read /proc/<pilot>/environ and the pilot’s memory',
    );
    return false;
  }
  try {
    const dumpable = native.setDumpable(false);
    if (dumpable) logger.warn('prctl(PR_SET_DUMPABLE, 0) did not take: the pilot stays dumpable');
    else logger.debug('pilot made non-dumpable: its /proc files and memory are closed to payloads');
    return !dumpable;
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'could not make the pilot non-dumpable');
    return false;
  }
}

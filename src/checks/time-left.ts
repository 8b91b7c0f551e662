import { ExitCode } from '../core/exit-codes.js';
import { result, type CheckResult } from './types.js';

/** DIRAC's JobAgent MinimumTimeLeft, in CPU work units. */
export const DEFAULT_MIN_TIME_LEFT = 5000;

export function checkTimeLeft(timeLeft: number | null | undefined, minimum = DEFAULT_MIN_TIME_LEFT, noSourceNote?: string): CheckResult {
  if (timeLeft === null || timeLeft === undefined) return result('time-left', 'skip', 'time left not computed', ExitCode.TIME_LEFT);
  // A hand-run check on a node outside any batch job: not a broken node, but `run` would take no job.
  if (noSourceNote && timeLeft < minimum) {
    return result(
      'time-left',
      'warn',
      `${Math.floor(timeLeft)} units of CPU work left (${noSourceNote}): a pilot run here would take no job`,
      ExitCode.TIME_LEFT,
    );
  }
  if (!Number.isFinite(timeLeft) || timeLeft < minimum) {
    return result(
      'time-left',
      'fail',
      `${Math.floor(timeLeft)} units of CPU work left, below the minimum of ${minimum}`,
      ExitCode.TIME_LEFT,
    );
  }
  return result('time-left', 'pass', `${Math.floor(timeLeft)} units of CPU work left (minimum ${minimum})`, ExitCode.TIME_LEFT);
}

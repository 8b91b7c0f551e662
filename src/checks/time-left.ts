import { ExitCode } from '../core/exit-codes.js';
import { result, type CheckResult } from './types.js';

/** DIRAC's JobAgent MinimumTimeLeft, in CPU work units. */
export const DEFAULT_MIN_TIME_LEFT = 5000;

export function checkTimeLeft(timeLeft: number | null | undefined, minimum = DEFAULT_MIN_TIME_LEFT): CheckResult {
  if (timeLeft === null || timeLeft === undefined) return result('time-left', 'skip', 'time left not computed', ExitCode.TIME_LEFT);
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

import { ExitCode } from '../core/exit-codes.js';
import { result, type CheckResult } from './types.js';

/** Tokens carry `iat`/`exp`; five minutes of skew is where servers start refusing them. */
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 300;

export async function checkClock(
  serverTime: (() => Promise<Date | null>) | undefined,
  maxSkewSeconds = DEFAULT_MAX_CLOCK_SKEW_SECONDS,
  now: () => number = Date.now,
): Promise<CheckResult> {
  if (!serverTime) return result('clock', 'skip', 'no server to compare with', ExitCode.CLOCK);
  let server: Date | null;
  const before = now();
  try {
    server = await serverTime();
  } catch (error) {
    return result('clock', 'warn', `could not read the server time: ${(error as Error).message.split('\n')[0]}`, ExitCode.CLOCK);
  }
  const after = now();
  if (!server || Number.isNaN(server.getTime()))
    return result('clock', 'warn', 'the server reply had no usable Date header', ExitCode.CLOCK);
  // The Date header has one-second resolution and was stamped somewhere during the request.
  const local = (before + after) / 2;
  const skew = Math.round((local - server.getTime()) / 1000);
  const tolerance = Math.ceil((after - before) / 2000) + 1;
  if (Math.abs(skew) > maxSkewSeconds + tolerance) {
    return result(
      'clock',
      'fail',
      `local clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the server (limit ${maxSkewSeconds} s); fix NTP`,
      ExitCode.CLOCK,
    );
  }
  return result('clock', 'pass', `within ${Math.abs(skew)} s of the server`, ExitCode.CLOCK);
}

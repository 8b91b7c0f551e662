import type { ExitCode } from '../core/exit-codes.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One line of the `pilot check` verdict. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** One readable sentence: what was found, and on failure what to do about it. */
  detail: string;
  /** The class exit code when this check failed; 0 otherwise. */
  exitCode: ExitCode;
}

export interface CheckReport {
  /** 'fail' when any check failed, else 'warn' when any warned, else 'pass'. */
  verdict: 'pass' | 'warn' | 'fail';
  /** The code of the first failed check in table order; 0 when none failed. */
  exitCode: ExitCode;
  checks: CheckResult[];
}

export function result(name: string, status: CheckStatus, detail: string, failCode: ExitCode): CheckResult {
  return { name, status, detail, exitCode: status === 'fail' ? failCode : 0 };
}

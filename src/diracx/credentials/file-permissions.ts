import { statSync } from 'node:fs';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';

/** Refuse a secret file that group or others can read or write, like ssh does for keys. */
export function assertPrivateFile(file: string, what: string): number {
  let mode: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new PilotError(ExitCode.CREDENTIALS, `${what} ${file} is not a regular file`);
    mode = stat.mode & 0o777;
  } catch (error) {
    if (error instanceof PilotError) throw error;
    throw new PilotError(
      ExitCode.CREDENTIALS,
      `cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new PilotError(
      ExitCode.CREDENTIALS,
      `${what} ${file} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 on it`,
    );
  }
  return mode;
}

import { ExitCode } from './exit-codes.js';

/**
 * An error the pilot expects and explains: it carries the exit code from docs/exit-codes.md and
 * prints as one line, without a stack trace.
 */
export class PilotError extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PilotError';
    this.exitCode = exitCode;
  }
}

export function isPilotError(error: unknown): error is PilotError {
  return error instanceof PilotError;
}

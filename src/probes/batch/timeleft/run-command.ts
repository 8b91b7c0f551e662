import { execa } from 'execa';
import type { CommandRunner } from './types.js';

/** DIRAC gives batch commands 120 s; a pilot waiting that long on `sacct` is already in trouble. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

/**
 * The real CommandRunner: execa, no shell, bounded by a timeout, output capped. Failures to
 * start, timeouts and signals come back as a non-zero exitCode with a one-line reason in stderr.
 */
export function createCommandRunner(timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): CommandRunner {
  return async (command, args, options) => {
    const result = await execa(command, [...args], {
      reject: false,
      timeout: timeoutMs,
      stdin: 'ignore',
      maxBuffer: 4 * 1024 * 1024,
      env: options?.env,
      extendEnv: true,
      stripFinalNewline: false,
    });
    if (result.timedOut) {
      return { exitCode: 124, stdout: String(result.stdout ?? ''), stderr: `timed out after ${timeoutMs / 1000} s` };
    }
    if (result.failed && result.exitCode === undefined) {
      const code = (result as { code?: string }).code;
      const reason = code === 'ENOENT' ? 'command not found' : (result.shortMessage ?? 'failed to start');
      return { exitCode: 127, stdout: '', stderr: reason };
    }
    return {
      exitCode: result.exitCode ?? (result.signal ? 128 : 1),
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
    };
  };
}

import { writeSync } from 'node:fs';

/**
 * Whole-text writes to stdout (fd 1) and stderr (fd 2), synchronously, without process.stdout:
 * its first use builds a stream (and loads the whole stream stack), a few milliseconds of a
 * `pilot probe` whose total budget is a few tens. Synchronous also means nothing is lost when
 * the pilot ends with process.exit() right after.
 */
export function writeStdout(text: string): void {
  const problem = writeAll(1, text);
  if (problem && stdoutProblem === null) stdoutProblem = problem;
}

let stdoutProblem: string | null = null;

/**
 * Why output meant for stdout was lost (`ENOSPC` for `> /dev/full`, `EPIPE`…), or null: a command
 * whose output went nowhere must not exit 0 (the caller would read an empty or cut result).
 */
export function stdoutFailure(): string | null {
  return stdoutProblem;
}

export function writeStderr(text: string): void {
  writeAll(2, text);
}

/** How long a full pipe may block one write before the rest is given up (a reader that went away). */
const STALL_LIMIT_MS = 30_000;

/** Writes everything; returns null, or the error code that stopped it. */
function writeAll(fd: number, text: string): string | null {
  let buffer = Buffer.from(text, 'utf8');
  let stalledSince = 0;
  while (buffer.length > 0) {
    try {
      const written = writeSync(fd, buffer);
      buffer = buffer.subarray(written);
      stalledSince = 0;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // EAGAIN: the descriptor is non-blocking (shared with a parent that set O_NONBLOCK) and
      // the pipe is full: wait for the reader a millisecond at a time.
      if (code !== 'EAGAIN') return code ?? 'EIO'; // EPIPE, EBADF, ENOSPC: nobody reads, or nowhere to write
      const now = Date.now();
      stalledSince ||= now;
      if (now - stalledSince > STALL_LIMIT_MS) return 'EAGAIN (the reader stalled)';
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
  return null;
}

import { writeSync } from 'node:fs';

/**
 * Whole-text writes to stdout (fd 1) and stderr (fd 2), synchronously, without process.stdout:
 * its first use builds a stream (and loads the whole stream stack), a few milliseconds of a
 * `pilot probe` whose total budget is a few tens. Synchronous also means nothing is lost when
 * the pilot ends with process.exit() right after.
 */
export function writeStdout(text: string): void {
  writeAll(1, text);
}

export function writeStderr(text: string): void {
  writeAll(2, text);
}

/** How long a full pipe may block one write before the rest is given up (a reader that went away). */
const STALL_LIMIT_MS = 30_000;

function writeAll(fd: number, text: string): void {
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
      if (code !== 'EAGAIN') return; // EPIPE, EBADF: nobody reads; nothing better to do
      const now = Date.now();
      stalledSince ||= now;
      if (now - stalledSince > STALL_LIMIT_MS) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

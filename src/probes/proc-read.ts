import { closeSync, openSync, readSync } from 'node:fs';

/*
 * /proc files report a size of 0, so fs.readFileSync cannot size its buffer from fstat: it
 * allocates a fresh 64 KiB chunk for every file it reads, and a buffer for the result on top. The
 * watchdogs read hundreds of these per tick (the stat of every process, the smaps_rollup of every
 * payload process, the environ of every process started after a payload): megabytes of
 * short-lived external memory per tick with many payloads, and malloc's high-water mark, hence the
 * pilot's RSS, followed it (docs/decisions/measurements.md). Reading into one reused buffer
 * allocates nothing but the decoded string.
 */

const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | null = null;

/**
 * The bytes of `file`, up to `maxBytes`, in a buffer that is reused by the next call: consume
 * (decode, search) the result before reading another file. Throws what openSync/readSync throw.
 * A file larger than the scratch buffer gets a buffer of its own for that one read, so one huge
 * environ does not keep megabytes around for the pilot's life.
 */
export function readProcBytes(file: string, maxBytes = 4 * 1024 * 1024): Buffer {
  scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  let buffer = scratch;
  let length = 0;
  const fd = openSync(file, 'r');
  try {
    for (;;) {
      if (length === buffer.length) {
        if (length >= maxBytes) break;
        const larger = Buffer.allocUnsafeSlow(Math.min(maxBytes, buffer.length * 2));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
  } finally {
    closeSync(fd);
  }
  return buffer.subarray(0, length);
}

/** The text of a /proc file (latin1: byte for byte, as the kernel writes it). */
export function readProcText(file: string, maxBytes?: number): string {
  return readProcBytes(file, maxBytes).toString('latin1');
}

/**
 * Writes a byte stream to a new file while summing it (Adler-32), with as little per-chunk work as
 * the event loop allows: chunks are summed as they come and written in batches of about 1 MiB
 * (one `writev` for some sixteen pipe reads), where a stream pipeline (source → Transform → file
 * WriteStream) costs a thread-pool write and several callbacks per 64 KiB read (figures:
 * docs/decisions/measurements.md). Memory stays bounded: at most one batch is held, and the source is not read while it is
 * being written.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Adler32 } from '../adler32.js';
import type { TransferResult } from './transfer.js';

const BATCH_BYTES = 1024 * 1024;

/** Stops as a stream pipeline with a signal does: an AbortError, whatever reason the signal carries. */
function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError', cause: signal.reason });
}

/** Reads `source` to its end into `dest` (created, never replaced: `wx`); the signal stops it. */
export async function writeSummed(source: AsyncIterable<Uint8Array>, dest: string, signal?: AbortSignal): Promise<TransferResult> {
  const handle = await open(dest, 'wx', 0o644);
  try {
    const sum = new Adler32();
    let size = 0;
    let batch: Uint8Array[] = [];
    let batched = 0;
    for await (const chunk of source) {
      checkSignal(signal);
      sum.update(chunk);
      size += chunk.length;
      batch.push(chunk);
      batched += chunk.length;
      if (batched >= BATCH_BYTES) {
        await writeAll(handle, batch);
        batch = [];
        batched = 0;
      }
    }
    checkSignal(signal);
    if (batched > 0) await writeAll(handle, batch);
    return { size, adler32: sum.hex() };
  } finally {
    await handle.close();
  }
}

/** `writev` may write less than asked (a full disk, a signal): the rest is written again. */
async function writeAll(handle: FileHandle, chunks: Uint8Array[]): Promise<void> {
  let left = chunks;
  for (;;) {
    const { bytesWritten } = await handle.writev(left);
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const c of left) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      rest.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
    if (rest.length === 0) return;
    left = rest;
  }
}

/**
 * Writes a byte stream to a new file while summing it (Adler-32), with as little per-chunk work as
 * the event loop allows: each piece is summed and kept (not copied), and the pieces go out in
 * batches of about 1 MiB (one `writev`), a batch's write running on the thread pool while the next
 * one collects, so the source keeps being read while the disk writes (figures:
 * docs/decisions/measurements.md). Memory stays bounded: two batches; the source is not read
 * while both are busy. xrdcp's stdout comes through `writeSummed`; the https download copies its
 * socket reads into a `CopyBatchFile` instead (copy-batch-file.ts).
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Adler32 } from '../adler32.js';
import type { TransferResult } from './transfer.js';

const BATCH_BYTES = 1024 * 1024;

/** Stops as a stream pipeline with a signal does: an AbortError, whatever reason the signal carries. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', cause: signal.reason });
}

/**
 * Batches taking turns: one collects pieces while the other is written (one `writev`). The pieces
 * are held, not copied: a socket or pipe read hands over a buffer of its own each time. `take`
 * sums a piece and adds it unless both batches are busy (the source must wait: `settle`).
 */
export class DoubleBufferedFile {
  private batch: Uint8Array[] = [];
  private batched = 0;
  private position = 0;
  private writing: Promise<void> | null = null;
  private failure: unknown = null;
  readonly sum = new Adler32();
  size = 0;

  constructor(private readonly handle: FileHandle) {}

  /** A new file at `dest` (created, never replaced: `wx`). */
  static async create(dest: string): Promise<DoubleBufferedFile> {
    return new DoubleBufferedFile(await open(dest, 'wx', 0o644));
  }

  /** Waits for a write in flight (its error, if any, was reported through `settle`) and closes. */
  async close(): Promise<void> {
    if (this.writing) await this.writing;
    await this.handle.close();
  }

  /** The first write error, once one happened. */
  get failed(): unknown {
    return this.failure;
  }

  /** True while a write is in flight and the collecting batch is full: the source must wait. */
  get blocked(): boolean {
    return this.writing !== null && this.batched >= BATCH_BYTES;
  }

  /** Sums and keeps `chunk` (false, taking nothing, while both batches are busy). */
  take(chunk: Uint8Array): boolean {
    if (this.blocked) return false;
    this.sum.update(chunk);
    this.size += chunk.length;
    this.batch.push(chunk);
    this.batched += chunk.length;
    if (this.batched >= BATCH_BYTES && this.writing === null) this.flip();
    return true;
  }

  /** Starts writing the collected batch; the next one collects meanwhile. */
  private flip(): void {
    const batch = this.batch;
    const position = this.position;
    this.position += this.batched;
    this.batch = [];
    this.batched = 0;
    this.writing = writeAll(this.handle, batch, position).then(
      () => {
        this.writing = null;
      },
      (error: unknown) => {
        this.failure ??= error;
        this.writing = null;
      },
    );
  }

  /** Resolves once no write is in flight (starting the next full batch's); throws the first write error. */
  async settle(): Promise<void> {
    if (this.writing) await this.writing;
    if (this.failure) throw this.failure;
    if (this.batched >= BATCH_BYTES) this.flip();
  }

  /** Writes what is left; the file then holds every byte taken. */
  async finish(): Promise<void> {
    await this.settle();
    if (this.writing) await this.settle();
    if (this.batched > 0) {
      this.flip();
      await this.settle();
    }
  }
}

/** Reads `source` to its end into `dest` (created, never replaced: `wx`); the signal stops it. */
export async function writeSummed(source: AsyncIterable<Uint8Array>, dest: string, signal?: AbortSignal): Promise<TransferResult> {
  // Hold a Node stream before the open's wait: execa resumes a subprocess's stdout that nobody
  // reads after one setImmediate, and what flows then is lost (xrdcp's first megabytes, seen as
  // a corrupt download under load). Paused, it keeps its data for the iterator below.
  if (typeof (source as Partial<Readable>).pause === 'function') (source as Readable).pause();
  const file = await DoubleBufferedFile.create(dest);
  try {
    for await (const chunk of source) {
      if (signal?.aborted) throw abortError(signal);
      while (!file.take(chunk)) await file.settle();
      if (file.blocked) await file.settle();
    }
    if (signal?.aborted) throw abortError(signal);
    await file.finish();
    return { size: file.size, adler32: file.sum.hex() };
  } finally {
    await file.close();
  }
}

/** `writev` may write less than asked (a full disk, a signal): the rest is written again. */
async function writeAll(handle: FileHandle, chunks: Uint8Array[], position: number): Promise<void> {
  let left = chunks;
  while (left.length > 0) {
    const { bytesWritten } = await handle.writev(left, position);
    position += bytesWritten;
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
    left = rest;
  }
}

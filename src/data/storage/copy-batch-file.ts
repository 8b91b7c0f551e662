/**
 * A file (or a part of one) fed by copying: each piece a socket read is copied at once into one of two 1 MiB
 * batches (the reader's buffer is reused after its callback, see https-exchange.ts), a full batch
 * is summed (Adler-32) and written (one `write` on the thread pool) while the other collects.
 * Memory stays bounded: two batches, plus the copies of what arrives while both are busy (the
 * caller holds its source then: `push` returns false until `drained`).
 */
import type { FileHandle } from 'node:fs/promises';
import { Adler32 } from '../adler32.js';
import { DataError } from '../errors.js';

const BATCH_BYTES = 1024 * 1024;

export class CopyBatchFile {
  private readonly batches = [Buffer.allocUnsafe(BATCH_BYTES), Buffer.allocUnsafe(BATCH_BYTES)];
  private current = 0;
  private filled = 0;
  private writing: Promise<void> | null = null;
  /** Copies of pieces that came while both batches were busy, in order. */
  private waiting: Uint8Array[] = [];
  private wakers: Array<() => void> = [];
  private failure: unknown = null;
  readonly sum = new Adler32();
  /** Bytes taken so far (summed and written once `finish` resolves). */
  size = 0;

  /**
   * Writes into `handle` (the caller's to open and close) from `position` on, with positional
   * writes: the parts of a file fetched side by side fill it through one handle, each with its
   * own `sum`. More than `limit` bytes is refused before any of them is written: a server that
   * sends more than the catalog's size (or a range's length) neither fills the disk nor writes
   * over the next part.
   */
  constructor(
    private readonly handle: FileHandle,
    private position = 0,
    private readonly limit = Number.POSITIVE_INFINITY,
  ) {}

  /** Copies `piece` in; false: both batches are busy, hold the source until `drained()`. Throws a write error, or past the limit. */
  push(piece: Uint8Array): boolean {
    if (this.failure) throw this.failure;
    if (this.size + piece.length > this.limit) throw new DataError('corrupt', `more than the ${this.limit} bytes expected`);
    this.size += piece.length;
    if (this.waiting.length > 0) {
      this.waiting.push(Uint8Array.prototype.slice.call(piece));
      return false;
    }
    const rest = this.copyIn(piece);
    if (rest === null) return true;
    this.waiting.push(Uint8Array.prototype.slice.call(rest));
    return false;
  }

  /** Resolves once nothing waits for a batch (rejects with a write error). */
  drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.wakers.push(() => (this.failure ? reject(this.failure) : resolve()));
    });
  }

  /** Writes what is left; the file then holds every byte pushed, and `sum` is their Adler-32. */
  async finish(): Promise<void> {
    await this.drained();
    if (this.writing) await this.writing;
    if (this.failure) throw this.failure;
    if (this.filled > 0) {
      this.flip();
      await this.writing;
      if (this.failure) throw this.failure;
    }
  }

  /** Resolves once no write is in flight (errors were reported through push/finish): the handle may then be closed. */
  async settled(): Promise<void> {
    if (this.writing) await this.writing;
  }

  /** Copies what fits into the free batches, starting writes of full ones; returns what did not fit. */
  private copyIn(piece: Uint8Array): Uint8Array | null {
    let at = 0;
    while (at < piece.length) {
      if (this.filled === BATCH_BYTES) {
        if (this.writing) return piece.subarray(at);
        this.flip();
      }
      const take = Math.min(BATCH_BYTES - this.filled, piece.length - at);
      this.batches[this.current]!.set(at === 0 && take === piece.length ? piece : piece.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
    }
    if (this.filled === BATCH_BYTES && !this.writing) this.flip();
    return null;
  }

  private flip(): void {
    const batch = this.batches[this.current]!.subarray(0, this.filled);
    this.sum.update(batch);
    const position = this.position;
    this.position += this.filled;
    this.current ^= 1;
    this.filled = 0;
    this.writing = writeAll(this.handle, batch, position).then(
      () => {
        this.writing = null;
        this.drain();
      },
      (error: unknown) => {
        this.failure ??= error;
        this.writing = null;
        this.wake();
      },
    );
  }

  /** A write ended: the copies that waited go into the batches, in order. */
  private drain(): void {
    while (this.waiting.length > 0 && this.writing === null) {
      const rest = this.copyIn(this.waiting[0]!);
      if (rest === null) this.waiting.shift();
      else this.waiting[0] = rest;
    }
    if (this.waiting.length === 0) this.wake();
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }
}

/** A write may be short (a full disk, a signal): the rest is written again. */
async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at, position + at);
    at += bytesWritten;
  }
}

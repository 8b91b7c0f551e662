import { SandboxError } from './errors.js';

const EMPTY = Buffer.alloc(0);

/**
 * Exact-size reads over a stream of chunks, without ever holding more than one chunk plus one
 * header in memory. `onChunk` sees every chunk as it arrives, which is where size limits bite.
 */
export class ByteSource {
  readonly #chunks: AsyncIterator<unknown>;
  readonly #onChunk: (length: number) => void;
  #buffer: Buffer = EMPTY;
  #ended = false;
  /** Bytes handed out so far: the offset of the next read in the tar stream. */
  position = 0;

  constructor(chunks: AsyncIterable<unknown>, onChunk: (length: number) => void) {
    this.#chunks = chunks[Symbol.asyncIterator]();
    this.#onChunk = onChunk;
  }

  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#chunks.next();
    if (next.done) {
      this.#ended = true;
      return false;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    this.#onChunk(chunk.length);
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    return true;
  }

  /** Exactly `length` bytes; null when the stream ended cleanly before the first byte. */
  async readExact(length: number): Promise<Buffer | null> {
    while (this.#buffer.length < length) {
      if (!(await this.#fill())) {
        if (this.#buffer.length === 0) return null;
        throw truncated(length - this.#buffer.length, this.position);
      }
    }
    const out = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    this.position += length;
    return out;
  }

  /** `length` bytes as the chunks they arrive in; throws if the stream ends first. */
  async *take(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      if (this.#buffer.length === 0 && !(await this.#fill())) throw truncated(left, this.position);
      const piece = this.#buffer.subarray(0, Math.min(left, this.#buffer.length));
      this.#buffer = this.#buffer.subarray(piece.length);
      this.position += piece.length;
      left -= piece.length;
      yield piece;
    }
  }

  async skip(length: number): Promise<void> {
    for await (const _piece of this.take(length)) {
      // discarded
    }
  }
}

function truncated(missing: number, position: number): SandboxError {
  return new SandboxError('corrupt', `archive is truncated: ${missing} more bytes expected at offset ${position}`);
}

import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { SandboxError } from './errors.js';

/**
 * A zstd stream is a sequence of frames (RFC 8878 §3.1): zstd frames, whose contents follow one
 * another, and skippable frames (magic 0x184D2A50..5F, a 4-byte length, data to ignore), which
 * pzstd and other tools put before each frame, or anywhere, to carry metadata. Node's decoder
 * stops at the end of the first frame it decodes, and a skippable frame first makes it produce
 * nothing at all. So the frames are walked here, without decoding: skippable ones are skipped,
 * and each zstd frame goes, block by block, through a decoder of its own.
 */

const ZSTD_FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

export function isSkippableMagic(value: number): boolean {
  return (value & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC;
}

function corrupt(message: string): SandboxError {
  return new SandboxError('corrupt', `zstd stream is corrupt or truncated: ${message}`);
}

/** Bytes from an async source, read in exactly the amounts asked for. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** At least `n` bytes buffered, or false at the end of the source. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= n;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Exactly `n` bytes, in one buffer (small reads only: headers). */
  async read(n: number, what: string): Promise<Buffer> {
    if (!(await this.fill(n))) throw corrupt(`ends inside ${what}`);
    const whole = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = whole.length > n ? [whole.subarray(n)] : [];
    this.buffered -= n;
    return whole.subarray(0, n);
  }

  /** Exactly `n` bytes, as they arrive (frame contents, skipped data). */
  async *take(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill(1))) throw corrupt(`ends inside ${what}`);
      const head = this.chunks[0]!;
      const piece = head.length > left ? head.subarray(0, left) : head;
      if (piece === head) this.chunks.shift();
      else this.chunks[0] = head.subarray(left);
      this.buffered -= piece.length;
      left -= piece.length;
      yield piece;
    }
  }
}

/** The bytes of one zstd frame whose 4-byte magic was already read (and is yielded first). */
async function* frameBytes(reader: ByteReader, magic: Buffer): AsyncGenerator<Buffer> {
  yield magic;
  const descriptor = await reader.read(1, 'a frame header');
  yield descriptor;
  const fhd = descriptor[0]!;
  if (fhd & 0x08) throw corrupt('reserved bit set in a frame header');
  const singleSegment = (fhd >> 5) & 1;
  const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6]!;
  const dictionaryBytes = [0, 1, 2, 4][fhd & 3]!;
  const rest = (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes;
  if (rest > 0) yield await reader.read(rest, 'a frame header');
  for (;;) {
    const header = await reader.read(3, 'a block header');
    yield header;
    const value = header[0]! | (header[1]! << 8) | (header[2]! << 16);
    const last = value & 1;
    const type = (value >> 1) & 3;
    const size = value >>> 3;
    if (type === 3) throw corrupt('reserved block type');
    // An RLE block stores its one byte; raw and compressed blocks store `size` bytes.
    yield* reader.take(type === 1 ? 1 : size, 'a block');
    if (last) break;
  }
  if ((fhd >> 2) & 1) yield await reader.read(4, 'a frame checksum');
}

/** Decompresses a whole zstd stream, every frame, skipping skippable frames. */
export async function* decodeZstdFrames(source: AsyncIterable<Buffer>, chunkBytes: number): AsyncGenerator<Buffer> {
  const reader = new ByteReader(source[Symbol.asyncIterator]());
  let frames = 0;
  while (!(await reader.atEnd())) {
    const magicBytes = await reader.read(4, 'a frame magic number');
    const magic = magicBytes.readUInt32LE(0);
    if (isSkippableMagic(magic)) {
      const size = (await reader.read(4, 'a skippable frame size')).readUInt32LE(0);
      for await (const _skipped of reader.take(size, 'a skippable frame'));
      continue;
    }
    if (magic !== ZSTD_FRAME_MAGIC) {
      throw corrupt(
        frames === 0 ? `no zstd frame (starts with ${magicBytes.toString('hex')})` : `bytes after frame ${frames} are not a zstd frame`,
      );
    }
    frames++;
    const decoder = zlib.createZstdDecompress({ chunkSize: chunkBytes });
    let failure: Error | null = null;
    pipeline(Readable.from(frameBytes(reader, magicBytes)), decoder, (error) => {
      if (error) failure = error;
    });
    try {
      for await (const chunk of decoder) yield chunk as Buffer;
    } finally {
      decoder.destroy();
    }
    if (failure) throw failure;
  }
  if (frames === 0) throw corrupt('no zstd frame, only skippable ones');
}

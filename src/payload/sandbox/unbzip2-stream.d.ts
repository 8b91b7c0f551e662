// The block decoder inside unbzip2-stream (MIT). Its stream wrapper is not used: it gathers each
// decoded block in a JS array of numbers (see bzip2-decoder.ts).
declare module 'unbzip2-stream/lib/bzip2.js' {
  type BitReader = (bits: number | null) => number;
  const bzip2: {
    /** Reads the `BZh<level>` stream header; returns the level (block size in 100 kB). */
    header(bits: BitReader): number;
    /** Decodes one block through `output`; returns the running stream CRC, or null at the end-of-stream marker. */
    decompress(
      bits: BitReader,
      output: (byte: number) => void,
      buffer: Int32Array,
      bufferSize: number,
      streamCRC: number | null,
    ): number | null;
  };
  export default bzip2;
}

declare module 'unbzip2-stream/lib/bit_iterator.js' {
  /** A bit reader over buffers handed out one by one by `next`; `bytesRead` counts bytes started. */
  export default function bitIterator(next: () => Buffer | undefined): ((bits: number | null) => number) & { bytesRead: number };
}

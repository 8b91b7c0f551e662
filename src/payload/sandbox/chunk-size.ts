/**
 * Stream chunk size for a sandbox of about `bytes`. Large chunks (fewer hops through the stream
 * machinery per MiB) pay off for big archives (bench/sandbox); for the usual sandbox of a few kB
 * they are pure cost: every stream allocates at least one chunk up front, and a 256 KiB buffer
 * waits as garbage for the next V8 collection, which the pilot's small heap rarely needs (what the
 * soak saw of such buffers: docs/decisions/measurements.md).
 */
export const LARGE_CHUNK_BYTES = 256 * 1024;
export const SMALL_CHUNK_BYTES = 16 * 1024;
const LARGE_FROM_BYTES = 1024 * 1024;

export function sandboxChunkBytes(bytes: number | undefined): number {
  // Unknown size: assume a big one, the case the large chunk was chosen for.
  return bytes === undefined || !(bytes < LARGE_FROM_BYTES) ? LARGE_CHUNK_BYTES : SMALL_CHUNK_BYTES;
}

import { describe, expect, it } from 'vitest';
import { LARGE_CHUNK_BYTES, SMALL_CHUNK_BYTES, sandboxChunkBytes } from './chunk-size.js';

describe('sandboxChunkBytes', () => {
  it('small chunks for small sandboxes, large from 1 MiB, large when the size is unknown', () => {
    expect(sandboxChunkBytes(0)).toBe(SMALL_CHUNK_BYTES);
    expect(sandboxChunkBytes(1024 * 1024 - 1)).toBe(SMALL_CHUNK_BYTES);
    expect(sandboxChunkBytes(1024 * 1024)).toBe(LARGE_CHUNK_BYTES);
    expect(sandboxChunkBytes(undefined)).toBe(LARGE_CHUNK_BYTES);
    expect(sandboxChunkBytes(Number.NaN)).toBe(LARGE_CHUNK_BYTES);
  });
});

import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createBzip2Decoder } from './bzip2-decoder.js';

const bzip2 = (data: Buffer) => execFileSync('bzip2', ['-c', '-9'], { input: data, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });

async function decode(compressed: Buffer, maxOutputBytes: number, pieces = 1) {
  const chunks: Buffer[] = [];
  const step = Math.ceil(compressed.length / pieces);
  const input = Readable.from(Array.from({ length: pieces }, (_, i) => compressed.subarray(i * step, (i + 1) * step)));
  const decoder = createBzip2Decoder({ maxOutputBytes, onLimit: () => new Error('over budget') });
  try {
    for await (const chunk of input.pipe(decoder)) chunks.push(chunk as Buffer);
    return { chunks, error: null };
  } catch (error) {
    return { chunks, error: error as Error };
  }
}

describe('bounded bzip2 decoder', () => {
  it('decodes concatenated streams fed in small pieces', async () => {
    const a = Buffer.from('first stream\n'.repeat(5000));
    const b = Buffer.from('second stream\n'.repeat(3000));
    const { chunks, error } = await decode(Buffer.concat([bzip2(a), bzip2(b)]), 10 * 1024 * 1024, 37);
    expect(error).toBeNull();
    expect(Buffer.concat(chunks).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('stops a one-block bomb (45 MB of zeros in 50 bytes) at its budget, in small chunks', async () => {
    const bomb = bzip2(Buffer.alloc(45_000_000));
    expect(bomb.length).toBeLessThan(100);
    const { chunks, error } = await decode(bomb, 1024 * 1024);
    expect(error?.message).toBe('over budget');
    // Nothing bigger than one output chunk was ever held: the old stream pushed 45 MB at once.
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(256 * 1024);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBeLessThanOrEqual(1024 * 1024);
  });

  it('fails on a stream cut before its end-of-stream marker', async () => {
    const whole = bzip2(Buffer.from('x'.repeat(100_000)));
    const { error } = await decode(whole.subarray(0, whole.length - 6), 1e9);
    expect(error).not.toBeNull();
  });
});

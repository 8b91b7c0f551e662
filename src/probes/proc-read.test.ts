import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProcBytes, readProcText } from './proc-read.js';

const dir = mkdtempSync(path.join(tmpdir(), 'proc-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readProcBytes', () => {
  it('reads a live /proc file whose reported size is 0', () => {
    const text = readProcText('/proc/self/stat');
    expect(text.startsWith(`${process.pid} (`)).toBe(true);
  });

  it('reads a file larger than its scratch buffer whole, and keeps the scratch buffer small', () => {
    const big = path.join(dir, 'big');
    const content = Buffer.alloc(200 * 1024, 'x');
    content.write('END', content.length - 3);
    writeFileSync(big, content);
    const bytes = readProcBytes(big);
    expect(bytes.length).toBe(content.length);
    expect(bytes.subarray(-3).toString()).toBe('END');
    const small = path.join(dir, 'small');
    writeFileSync(small, 'abc');
    expect(readProcBytes(small).buffer.byteLength).toBe(64 * 1024);
  });

  it('stops at maxBytes', () => {
    const file = path.join(dir, 'capped');
    writeFileSync(file, 'y'.repeat(100 * 1024));
    expect(readProcBytes(file, 70 * 1024).length).toBe(70 * 1024);
  });

  it('reuses one buffer: a result is only valid until the next read', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    writeFileSync(a, 'first');
    writeFileSync(b, 'later');
    const first = readProcBytes(a);
    readProcBytes(b);
    expect(first.toString()).toBe('later');
  });

  it('throws for a process that is gone', () => {
    expect(() => readProcText('/proc/999999999/stat')).toThrow(/ENOENT/);
  });
});

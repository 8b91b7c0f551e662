import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractSandbox, SandboxError } from '../../src/payload/sandbox/index.js';
import { bzip2, gzip, paxRecords, tarOf, zstd } from './craft.js';
import { tempDir } from './helpers.js';

/**
 * Damaged archives: whatever bytes are flipped or cut, extraction either succeeds inside the
 * destination or fails with a SandboxError, never another exception, never a hang, and a failure
 * leaves nothing behind.
 */
const base = tarOf([
  { name: 'dir', type: '5' },
  { name: 'dir/a.txt', data: 'alpha\n'.repeat(100) },
  paxRecords({ path: `dir/${'long'.repeat(40)}.txt` }),
  { name: 'placeholder', data: 'beta' },
  { name: 'dir/link', type: '2', linkname: 'a.txt' },
  { name: 'hard', type: '1', linkname: 'dir/a.txt' },
  { name: 'exec.sh', data: '#!/bin/sh\n', mode: 0o755 },
]);

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('sandbox-fuzz-');
});
afterAll(() => work.cleanup());

let counter = 0;
async function extractDamaged(bytes: Buffer): Promise<void> {
  const caseDir = path.join(work.dir, `c${counter++}`);
  mkdirSync(caseDir);
  const archive = path.join(caseDir, 'archive');
  writeFileSync(archive, bytes);
  const dest = path.join(caseDir, 'dest');
  try {
    await extractSandbox(archive, dest, { limits: { maxBytes: 4 * 1024 * 1024 } });
    expect(readdirSync(caseDir).sort()).toEqual(['archive', 'dest']);
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    expect(error.message).not.toMatch(/\n/);
    expect(readdirSync(caseDir)).toEqual(['archive']);
  }
}

const damage = (source: Buffer) =>
  fc
    .record({
      flips: fc.array(fc.tuple(fc.nat({ max: source.length - 1 }), fc.integer({ min: 1, max: 255 })), { maxLength: 8 }),
      cut: fc.option(fc.nat({ max: source.length }), { nil: undefined }),
    })
    .map(({ flips, cut }) => {
      const bytes = Buffer.from(source);
      for (const [at, xor] of flips) bytes[at] = bytes[at]! ^ xor;
      return cut === undefined ? bytes : bytes.subarray(0, cut);
    });

describe('damaged archives', () => {
  it('plain tar: success inside, or a SandboxError and nothing left', async () => {
    await fc.assert(fc.asyncProperty(damage(base), extractDamaged), { numRuns: 150 });
  });

  it('tar.zst: success inside, or a SandboxError and nothing left', async () => {
    await fc.assert(fc.asyncProperty(damage(zstd(base)), extractDamaged), { numRuns: 100 });
  });

  it('tar.gz: success inside, or a SandboxError and nothing left', async () => {
    await fc.assert(fc.asyncProperty(damage(gzip(base)), extractDamaged), { numRuns: 100 });
  });

  it('tar.bz2 (pure-JS decoder): success inside, or a SandboxError and nothing left', async () => {
    await fc.assert(fc.asyncProperty(damage(bzip2(base)), extractDamaged), { numRuns: 100 });
  });
});

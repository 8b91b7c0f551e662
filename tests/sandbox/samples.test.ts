import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractSandbox } from '../../src/payload/sandbox/index.js';
import { tempDir } from './helpers.js';

const SAMPLES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'samples');
const LONG = `${'long'.repeat(30)}/${'name'.repeat(30)}.txt`;

let work: { dir: string; cleanup: () => void };
beforeEach(() => {
  work = tempDir();
});
afterEach(() => work.cleanup());

describe('archives written by real tools (tests/sandbox/samples/README.md)', () => {
  const cases = [
    { file: 'gnutar-gnu-format.tar.zst', format: 'tar.zst', long: true },
    { file: 'gnutar-posix-format.tar.gz', format: 'tar.gz', long: true },
    { file: 'gnutar-v7-format.tar', format: 'tar', long: false },
    { file: 'python-tarfile.tar.bz2', format: 'tar.bz2', long: true },
    { file: 'python-tarfile.tar.zst', format: 'tar.zst', long: true },
  ] as const;

  for (const sample of cases) {
    it(`extracts ${sample.file}`, async () => {
      const dest = path.join(work.dir, 'job');
      const report = await extractSandbox(path.join(SAMPLES, sample.file), dest);
      expect(report.format).toBe(sample.format);
      expect(readFileSync(path.join(dest, 'run.sh'), 'utf8')).toBe('#!/bin/bash\necho "hello from the sandbox"\n');
      expect(lstatSync(path.join(dest, 'run.sh')).mode & 0o777).toBe(0o755);
      expect(JSON.parse(readFileSync(path.join(dest, 'sub/config.json'), 'utf8'))).toEqual({ a: 1 });
      if (sample.long) {
        expect(readlinkSync(path.join(dest, 'config-link'))).toBe('sub/config.json');
        expect(readFileSync(path.join(dest, LONG), 'utf8')).toBe('deep\n');
      }
    });
  }
});

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractSandbox, SandboxError } from '../../src/payload/sandbox/index.js';
import { CORPUS } from './corpus.js';
import { snapshot, tempDir } from './helpers.js';

/**
 * Layout per case: work/<case>/{archive, outside.txt, dest-existing/keep.txt}. After each refusal,
 * the case directory must hold exactly what it held before (no staging directory, no new
 * destination), the existing destination must be unchanged, and outside.txt must be intact.
 */
let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('sandbox-corpus-');
});
afterAll(() => work.cleanup());

describe('malicious archive corpus', () => {
  it('has at least 20 cases covering every refusal reason it claims', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });

  CORPUS.forEach((testCase, index) => {
    it(`refuses: ${testCase.name} (${testCase.reason})`, async () => {
      const caseDir = path.join(work.dir, `case-${index}`);
      mkdirSync(path.join(caseDir, 'dest-existing'), { recursive: true });
      writeFileSync(path.join(caseDir, 'dest-existing', 'keep.txt'), 'keep');
      writeFileSync(path.join(caseDir, 'outside.txt'), 'untouched');
      const archive = path.join(caseDir, 'archive');
      writeFileSync(archive, testCase.archive());
      const before = snapshot(caseDir);

      for (const dest of ['dest-new', 'dest-existing']) {
        const error = await extractSandbox(archive, path.join(caseDir, dest), {
          ...(testCase.limits ? { limits: testCase.limits } : {}),
          ...(testCase.expectedSha256 ? { expectedSha256: testCase.expectedSha256 } : {}),
        }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, `${dest}: extraction should have been refused`).toBeInstanceOf(SandboxError);
        const refusal = error as SandboxError;
        expect(refusal.reason, refusal.message).toBe(testCase.reason);
        expect(refusal.message).not.toMatch(/\n/);
        expect(snapshot(caseDir), `${dest}: something was left behind`).toEqual(before);
      }
      expect(readdirSync(caseDir).sort()).toEqual(['archive', 'dest-existing', 'outside.txt']);
      expect(readFileSync(path.join(caseDir, 'outside.txt'), 'utf8')).toBe('untouched');
    });
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

// The workers run db12-copy.ts's functions from their source text; bundling (minify, keepNames)
// rewrites that text. This builds the module the ways a release might and runs a short measurement
// (16 chunks: with 4, a loaded machine's clock checks dropped two and the run refused its figure).
const here = path.dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'db12-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ENTRY = `
import { measureCpuPower } from ${JSON.stringify(path.join(here, 'db12.ts'))};
import { silentLogger } from ${JSON.stringify(path.join(here, '../core/logger.ts'))};
measureCpuPower({ copies: 2, logger: silentLogger(), shape: { warmupDraws: 50000, chunkDraws: 50000, chunks: 16, minChunks: 4, budgetSeconds: 60 } })
  .then((r) => process.stdout.write(JSON.stringify({ power: r.power, copies: r.raw.length })));
`;

describe('DB12 in a bundle', () => {
  it.each([
    ['plain', {}],
    ['minified with keepNames', { minify: true, keepNames: true }],
  ])('%s', async (name, flags) => {
    const outfile = path.join(work, `${name.replace(/\W+/g, '-')}.cjs`);
    await build({
      stdin: { contents: ENTRY, resolveDir: here, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
      ...flags,
    });
    const output = JSON.parse(execFileSync(process.execPath, [outfile], { encoding: 'utf8', timeout: 60_000 }));
    expect(output.copies).toBe(2);
    expect(output.power).toBeGreaterThan(0);
  });
});

// DB12: the pilot's JavaScript port against the Python reference (bench/python/db12_reference.py),
// both pinned to the same core, in alternating pairs so drifts in machine load hit both alike.
// Records: calibrated score / Python NORM (target within 5 %), Python wall / JS wall (target >= 10),
// and the calibration factor k this run would choose (python NORM / raw JS NORM), which is how the
// constant in src/benchmark/db12-calibration.ts was measured (docs/cpu-work-left.md).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pythonReference = path.join(root, 'bench', 'python', 'db12_reference.py');

// A tiny CLI around measureCpuPower, bundled from the sources so the bench does not depend on
// how the pilot's CLI is wired: prints one JSON measurement.
const ENTRY = `
import { measureCpuPower } from ${JSON.stringify(path.join(root, 'src/benchmark/db12.ts'))};
import { silentLogger } from ${JSON.stringify(path.join(root, 'src/core/logger.ts'))};
const started = performance.now();
const result = await measureCpuPower({ copies: 1, logger: silentLogger() });
process.stdout.write(JSON.stringify({ ...result, processWall: (performance.now() - started) / 1000 }));
`;

const fmt = (x) => Number(x.toPrecision(4));
const spread = (values) => `${fmt(Math.min(...values))}..${fmt(Math.max(...values))}`;

function pinned(command, args) {
  // Same core for both sides: the calibration is a per-core statement.
  let hasTaskset = true;
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  } catch {
    hasTaskset = false;
  }
  const started = performance.now();
  const stdout = hasTaskset
    ? execFileSync('taskset', ['-c', '0', command, ...args], { encoding: 'utf8', timeout: 300_000 })
    : execFileSync(command, args, { encoding: 'utf8', timeout: 300_000 });
  return { json: JSON.parse(stdout), wall: (performance.now() - started) / 1000, hasTaskset };
}

export default async function run({ runs = 5, log = console.log } = {}) {
  const work = mkdtempSync(path.join(tmpdir(), 'db12-bench-'));
  try {
    const bundle = path.join(work, 'db12-cli.mjs');
    await build({
      stdin: { contents: ENTRY, resolveDir: root, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      outfile: bundle,
      logLevel: 'warning',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    writeFileSync(path.join(work, 'package.json'), '{"type":"module"}');
    const pairs = [];
    for (let i = 0; i < runs; i += 1) {
      const py = pinned('python3', [pythonReference]);
      const js = pinned(process.execPath, [bundle]);
      const pair = {
        pythonNorm: py.json.norm[0],
        pythonWall: py.wall,
        jsScore: js.json.raw[0],
        jsRawNorm: js.json.jsNorm[0],
        jsWall: js.wall,
      };
      pairs.push(pair);
      log(`db12 pair ${i + 1}/${runs}: python NORM ${fmt(pair.pythonNorm)} (${fmt(pair.pythonWall)} s), ` +
        `js score ${fmt(pair.jsScore)} raw ${fmt(pair.jsRawNorm)} (${fmt(pair.jsWall)} s)`);
    }
    const scoreRatios = pairs.map((p) => p.jsScore / p.pythonNorm);
    const wallRatios = pairs.map((p) => p.pythonWall / p.jsWall);
    const kValues = pairs.map((p) => p.pythonNorm / p.jsRawNorm);
    const pythonNorm = median(pairs.map((p) => p.pythonNorm));
    const scoreRatio = median(scoreRatios);
    const wallRatio = median(wallRatios);
    return [
      {
        name: 'db12 score: JS (calibrated) / Python reference, same core',
        value: fmt(median(pairs.map((p) => p.jsScore))),
        unit: 'DB12',
        baseline: fmt(pythonNorm),
        baselineName: `python3 db12_reference.py (${runs} paired runs)`,
        ratio: fmt(scoreRatio),
        target: '0.95 <= ratio <= 1.05',
        pass: scoreRatio >= 0.95 && scoreRatio <= 1.05,
        spread: spread(scoreRatios),
      },
      {
        name: 'db12 wall time: Python reference / JS',
        value: fmt(median(pairs.map((p) => p.jsWall))),
        unit: 's',
        baseline: fmt(median(pairs.map((p) => p.pythonWall))),
        baselineName: 'python3 db12_reference.py wall time',
        ratio: fmt(wallRatio),
        target: 'ratio >= 10',
        pass: wallRatio >= 10,
        spread: spread(wallRatios),
      },
      {
        name: 'db12 calibration k = Python NORM / raw JS NORM (informational)',
        value: fmt(median(kValues)),
        unit: 'factor',
        baseline: fmt(median(pairs.map((p) => p.jsRawNorm))),
        baselineName: 'raw JS NORM',
        ratio: fmt(median(kValues)),
        target: 'recorded in src/benchmark/db12-calibration.ts',
        pass: true,
        spread: spread(kValues),
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv[2] ?? 5);
  console.log(JSON.stringify(await run({ runs }), null, 2));
}

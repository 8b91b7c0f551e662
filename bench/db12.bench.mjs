// DB12: the pilot's measurement against the Python reference (bench/python/db12_reference.py, our
// own implementation of DIRAC's published DB12 algorithm, run under the node's python3), in
// interleaved pairs: each pair runs both within the same minute, the order alternating, so that
// drifts in machine load hit both alike. Two series: the node as found, then the same pairs while
// one busy process per core keeps every core loaded. Records, per series: the pilot's figure over
// Python's (target within 5 %), the run-to-run spread of each side (target: the pilot's no wider
// than Python's), the calibration k the pairs would choose (python NORM / raw JS NORM, how the
// table in src/benchmark/db12-calibration.ts is measured), and the wall time of each side.
// Usage: node bench/db12.bench.mjs [PAIRS] [LOADED_PAIRS]
//   env DB12_BENCH_PIN=1: both sides pinned to core 0.
//   env DB12_BENCH_UPSTREAM=DIR: the reference is DIRACGrid/DB12 itself (DIR holds its db12 package).
//   env DB12_BENCH_PY_DRAWS=N: the Python side draws N per iteration instead of DB12's 12.5 M (its
//   NORM is scaled, so the ratio and k keep their meaning; its run-to-run spread grows, so the
//   stability row then compares against a shorter, noisier Python window: say so when quoting it).
import { build } from 'esbuild';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const pythonReference = path.join(root, 'bench', 'python', 'db12_reference.py');

// A tiny CLI around the pilot's two engines, bundled from the sources so the bench does not depend
// on how the pilot's CLI is wired: one copy, the default shape, prints one JSON measurement.
// Argument "cpython": DB12 under the CPython 3.11 that the pilot itself would find (db12-python.ts).
const ENTRY = `
import { measureCpuPower } from ${JSON.stringify(path.join(root, 'src/benchmark/db12.ts'))};
import { findReferencePython, measureCpuPowerWithPython } from ${JSON.stringify(path.join(root, 'src/benchmark/db12-python.ts'))};
import { silentLogger } from ${JSON.stringify(path.join(root, 'src/core/logger.ts'))};
const logger = silentLogger();
let result;
if (process.argv[2] === 'cpython') {
  const found = await findReferencePython('auto', process.env);
  if (!('python' in found)) throw new Error(found.refused);
  result = await measureCpuPowerWithPython({ copies: 1, logger, python: found.python });
} else {
  result = await measureCpuPower({ copies: 1, logger });
}
process.stdout.write(JSON.stringify(result));
`;

export const fmt = (x) => Number(x.toPrecision(4));
export const range = (values) => `${fmt(Math.min(...values))}..${fmt(Math.max(...values))}`;
/** Relative spread of a series: (max - min) / median. */
export const relSpread = (values) => (Math.max(...values) - Math.min(...values)) / median(values);
/** Robust relative dispersion: 1.4826 MAD / median. */
export const relMad = (values) => {
  const m = median(values);
  return (1.4826 * median(values.map((v) => Math.abs(v - m)))) / m;
};

export function cpuModel() {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
  const field = (name) => text.match(new RegExp(`^${name}\\s*: (.*)$`, 'm'))?.[1]?.trim();
  return [
    field('model name') ?? cpus()[0]?.model,
    field('vendor_id'),
    field('cpu family') && `family ${field('cpu family')}`,
    field('model') && `model ${field('model')}`,
    field('CPU implementer') && `implementer ${field('CPU implementer')}`,
    field('CPU part') && `part ${field('CPU part')}`,
  ]
    .filter(Boolean)
    .join(', ');
}

export function hasTaskset() {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function timed(command, args, pin) {
  const started = performance.now();
  const stdout = pin
    ? execFileSync('taskset', ['-c', '0', command, ...args], { encoding: 'utf8', timeout: 900_000 })
    : execFileSync(command, args, { encoding: 'utf8', timeout: 900_000 });
  return { json: JSON.parse(stdout), wall: (performance.now() - started) / 1000 };
}

/** One busy process per core (the "loaded node"); returns a function that stops them. */
function loadEveryCore() {
  const children = cpus().map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  return () => {
    for (const child of children) child.kill('SIGKILL');
  };
}

const pythonDraws = Number(process.env.DB12_BENCH_PY_DRAWS ?? 12_500_000);
// DIRACGrid/DB12 itself as the reference: the folder holding its `db12` package (e.g. a checkout's
// src/). Not part of this project; under CPython 3.11 DB12 applies no version factor.
export const upstream = process.env.DB12_BENCH_UPSTREAM;
export const UPSTREAM_SCRIPT = `import json, sys; sys.path.insert(0, sys.argv[1]); from db12 import single_dirac_benchmark; print(json.dumps({"norm": [single_dirac_benchmark()["NORM"]]}))`;
export const referenceName = upstream ? 'DIRACGrid/DB12 single_dirac_benchmark()' : 'python3 db12_reference.py';

/** The pilot's engines measured in each pair: the JavaScript port always, CPython where the pilot would find one. */
export function pilotEngines(bundle) {
  try {
    execFileSync(process.execPath, [bundle, 'cpython'], { stdio: 'ignore', timeout: 300_000 });
    return ['javascript', 'cpython'];
  } catch {
    return ['javascript'];
  }
}

function runPairs(count, label, bundle, engines, pin, log) {
  const pairs = [];
  for (let i = 0; i < count; i += 1) {
    const load = loadavg()[0];
    const steps = [
      [
        'python',
        upstream
          ? () => timed('python3', ['-c', UPSTREAM_SCRIPT, upstream], pin)
          : () => timed('python3', [pythonReference, '--draws', String(pythonDraws)], pin),
      ],
      ...engines.map((engine) => [engine, () => timed(process.execPath, [bundle, engine], pin)]),
    ];
    // Rotate the order so that no side always runs first in a pair.
    const ran = {};
    for (let k = 0; k < steps.length; k += 1) {
      const [name, step] = steps[(i + k) % steps.length];
      ran[name] = step();
    }
    const py = ran.python;
    const pair = {
      pythonNorm: py.json.norm[0],
      // Interpreter start-up aside, Python's wall time is proportional to its draws.
      pythonWall: py.wall * (12_500_000 / pythonDraws),
      load,
      pilot: Object.fromEntries(
        engines.map((engine) => {
          const run = ran[engine];
          return [
            engine,
            {
              power: run.json.power,
              score: run.json.raw[0],
              uncalibratedNorm: run.json.uncalibratedNorm[0],
              wall: run.wall,
              standardError: run.json.spread.standardError,
              calibration: run.json.calibration.id,
            },
          ];
        }),
      ),
    };
    pairs.push(pair);
    const pilots = engines
      .map((engine) => {
        const p = pair.pilot[engine];
        return `${engine} ${p.power} (${fmt(p.wall)} s, ±${(p.standardError * 100).toFixed(1)}%) ratio ${fmt(p.score / pair.pythonNorm)}`;
      })
      .join('; ');
    log(
      `db12 ${label} pair ${i + 1}/${count} (load ${load.toFixed(1)}): python NORM ${fmt(pair.pythonNorm)} (${fmt(pair.pythonWall)} s); pilot ${pilots}`,
    );
  }
  return pairs;
}

function rows(pairs, label, model, engine) {
  const side = (p) => p.pilot[engine];
  const ratios = pairs.map((p) => side(p).score / p.pythonNorm);
  const ratio = median(ratios);
  const wallRatios = pairs.map((p) => p.pythonWall / side(p).wall);
  const scores = pairs.map((p) => side(p).score);
  const pilotSpread = relMad(scores);
  const pySpread = relMad(pairs.map((p) => p.pythonNorm));
  const loads = pairs.map((p) => p.load);
  const where = `${model}; load ${range(loads)}; ${pairs.length} pairs`;
  const who = engine === 'cpython' ? 'pilot (CPython engine)' : 'pilot (JavaScript engine)';
  const result = [
    {
      name: `db12 ${label}: ${who} power / Python DB12, interleaved pairs (${where})`,
      value: fmt(median(scores)),
      unit: 'DB12',
      baseline: fmt(median(pairs.map((p) => p.pythonNorm))),
      baselineName: `${referenceName}${pythonDraws === 12_500_000 ? '' : ` --draws ${pythonDraws}`} (pilot calibration ${side(pairs[0]).calibration})`,
      ratio: fmt(ratio),
      target: '0.95 <= ratio <= 1.05',
      pass: ratio >= 0.95 && ratio <= 1.05,
      spread: range(ratios),
    },
    {
      name: `db12 ${label}: ${who} run-to-run spread (1.4826 MAD / median) vs Python DB12`,
      value: fmt(pilotSpread),
      unit: 'relative',
      baseline: fmt(pySpread),
      baselineName: `${referenceName}, same pairs${pythonDraws === 12_500_000 ? '' : ` (${pythonDraws} draws: a shorter window than DB12's)`}`,
      ratio: fmt(pySpread > 0 ? pilotSpread / pySpread : Number.POSITIVE_INFINITY),
      target: 'pilot spread <= Python spread (ratio <= 1)',
      pass: pilotSpread <= pySpread,
      spread: `pilot ${range(scores)}, python ${range(pairs.map((p) => p.pythonNorm))}; max-min/median ${fmt(relSpread(scores))} vs ${fmt(relSpread(pairs.map((p) => p.pythonNorm)))}`,
    },
    {
      name: `db12 ${label}: wall time, Python DB12 / ${who} (whole process)`,
      value: fmt(median(pairs.map((p) => side(p).wall))),
      unit: 's',
      baseline: fmt(median(pairs.map((p) => p.pythonWall))),
      baselineName: `${referenceName} wall time${pythonDraws === 12_500_000 ? '' : `, scaled to DB12's 12.5 M draws from ${pythonDraws}`}`,
      ratio: fmt(median(wallRatios)),
      target: 'ratio >= 5',
      pass: median(wallRatios) >= 5,
      spread: range(wallRatios),
    },
  ];
  if (engine === 'javascript') {
    const kValues = pairs.map((p) => p.pythonNorm / side(p).uncalibratedNorm);
    result.push({
      name: `db12 ${label}: calibration k = Python NORM / raw JS NORM (informational)`,
      value: fmt(median(kValues)),
      unit: 'factor',
      baseline: fmt(median(pairs.map((p) => side(p).uncalibratedNorm))),
      baselineName: 'raw JS NORM',
      ratio: fmt(median(kValues)),
      target: 'recorded in src/benchmark/db12-calibration.ts',
      pass: true,
      spread: range(kValues),
    });
  }
  return result;
}

/** Bundles the tiny CLI (ENTRY) into `work`; returns its path. Run it with `node CLI [javascript|cpython]`. */
export async function buildPilotCli(work) {
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
  return bundle;
}

export default async function run({ runs = 6, loadedRuns, log = console.log } = {}) {
  const loaded = loadedRuns ?? Math.max(2, Math.round(runs / 2));
  const pin = process.env.DB12_BENCH_PIN === '1' && hasTaskset();
  const model = cpuModel();
  const python = execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim();
  log(
    `db12 bench on ${model}, ${cpus().length} CPUs, ${python}, node ${process.version}${pin ? ', pinned to core 0' : ''}, python draws ${pythonDraws}`,
  );
  const work = mkdtempSync(path.join(tmpdir(), 'db12-bench-'));
  const started = performance.now();
  try {
    const bundle = await buildPilotCli(work);
    const engines = pilotEngines(bundle);
    log(`pilot engines measured: ${engines.join(', ')}`);
    const asFound = runPairs(runs, 'as found', bundle, engines, pin, log);
    let busy = [];
    if (loaded > 0) {
      const stop = loadEveryCore();
      try {
        busy = runPairs(loaded, `loaded (+${cpus().length} busy processes)`, bundle, engines, pin, log);
      } finally {
        stop();
      }
    }
    const results = engines.flatMap((engine) => [
      ...rows(asFound, 'node as found', model, engine),
      ...(busy.length ? rows(busy, 'loaded node', model, engine) : []),
    ]);
    results.push(wallTimeRow('db12 bench: wall time spent (all pairs)', started, runs + loaded));
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The informational row of what a bench's pairs cost in wall time. */
export function wallTimeRow(name, started, pairs) {
  return {
    name,
    value: fmt((performance.now() - started) / 1000),
    unit: 's',
    baseline: pairs,
    baselineName: 'pairs',
    ratio: 1,
    target: 'informational',
    pass: true,
    spread: '',
  };
}

/** `node bench/X.bench.mjs [PAIRS] [LOADED_PAIRS]`: runs `run` and prints its rows as JSON. */
export async function runFromCommandLine(moduleUrl, run, defaultPairs) {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  const runs = Number(process.argv[2] ?? defaultPairs);
  const loadedRuns = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  console.log(JSON.stringify(await run({ runs, loadedRuns }), null, 2));
}

await runFromCommandLine(import.meta.url, run, 6);

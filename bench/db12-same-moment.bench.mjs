// DB12 at the same moment: DIRAC's DB12 (or the bench's Python reference) runs on one core while
// the pilot's measurement runs again and again on the other, each pinned with taskset, so both
// see the node as it is in the same seconds. On a shared VM whose speed moves by ±20 % from one
// minute to the next, pairs taken one after the other (db12.bench.mjs) mostly measure that drift;
// side by side, what is left is each side's own noise and any bias of the pilot's figure.
//
// Per pair: the reference's measured iteration is the second half of its run (DB12 ignores its
// first, warm-up, iteration), so only the pilot runs that start after 45 % of the reference's wall
// time count; the pair's ratio is the median of those runs over the reference's NORM. The cores
// swap every pair. A loaded series adds one busy process per core (time slicing on both).
// Usage: node bench/db12-same-moment.bench.mjs [PAIRS] [LOADED_PAIRS]
//   env DB12_BENCH_UPSTREAM=DIR: the reference is DIRACGrid/DB12 itself (DIR holds its db12 package).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { median } from './stats.mjs';
import {
  buildPilotCli,
  fmt,
  range,
  runFromCommandLine,
  wallTimeRow,
  cpuModel,
  hasTaskset,
  pilotEngines,
  pythonReference,
  referenceName,
  relMad,
  upstream,
  UPSTREAM_SCRIPT,
} from './db12.bench.mjs';

/** Runs a command pinned to `core`; resolves with its parsed JSON stdout, start and end times. */
function pinned(core, command, args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('taskset', ['-c', String(core), command, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} exited ${code}`));
      try {
        resolve({ json: JSON.parse(out), started, ended: performance.now() });
      } catch (error) {
        reject(error);
      }
    });
  });
}

function busyEveryCore() {
  const children = cpus().map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  return () => children.forEach((child) => child.kill('SIGKILL'));
}

async function pair(index, bundle, engines) {
  const refCore = index % 2;
  const pilotCore = 1 - refCore;
  const load = loadavg()[0];
  const referenceArgs = upstream ? ['-c', UPSTREAM_SCRIPT, upstream] : [pythonReference];
  let done = false;
  const reference = pinned(refCore, 'python3', referenceArgs).finally(() => (done = true));
  const runs = [];
  for (let k = 0; !done; k += 1) {
    const engine = engines[k % engines.length];
    const run = await pinned(pilotCore, process.execPath, [bundle, engine]);
    runs.push({ engine, power: run.json.raw[0], started: run.started, ended: run.ended });
  }
  const ref = await reference;
  const window = ref.started + 0.45 * (ref.ended - ref.started);
  const inWindow = runs.filter((run) => run.started >= window && run.ended <= ref.ended);
  const norm = ref.json.norm[0];
  return {
    load,
    norm,
    wall: (ref.ended - ref.started) / 1000,
    engines: Object.fromEntries(
      engines.map((engine) => {
        const powers = inWindow.filter((run) => run.engine === engine).map((run) => run.power);
        return [engine, { powers, ratio: powers.length ? median(powers) / norm : Number.NaN }];
      }),
    ),
  };
}

async function series(count, label, bundle, engines, log) {
  const pairs = [];
  for (let i = 0; i < count; i += 1) {
    const p = await pair(i, bundle, engines);
    pairs.push(p);
    const parts = engines.map((engine) => {
      const e = p.engines[engine];
      return `${engine} ${e.powers.length} runs ${e.powers.length ? range(e.powers) : '-'} ratio ${fmt(e.ratio)}`;
    });
    log(
      `db12 same moment, ${label}, pair ${i + 1}/${count} (load ${p.load.toFixed(1)}): reference NORM ${fmt(p.norm)} (${fmt(p.wall)} s); ${parts.join('; ')}`,
    );
  }
  return pairs;
}

function rows(pairs, label, model, engine) {
  const usable = pairs.filter((p) => p.engines[engine].powers.length > 0);
  if (usable.length === 0) return [];
  const ratios = usable.map((p) => p.engines[engine].ratio);
  const singleRatios = usable.flatMap((p) => p.engines[engine].powers.map((power) => power / p.norm));
  const singles = usable.flatMap((p) => p.engines[engine].powers);
  const norms = usable.map((p) => p.norm);
  const who = engine === 'cpython' ? 'pilot (CPython engine)' : 'pilot (JavaScript engine)';
  const where = `${model}; load ${range(usable.map((p) => p.load))}; ${usable.length} pairs, ${singles.length} pilot runs`;
  const ratio = median(ratios);
  return [
    {
      name: `db12 same moment, ${label}: ${who} power / ${referenceName} on the other core (${where})`,
      value: fmt(median(singles)),
      unit: 'DB12',
      baseline: fmt(median(norms)),
      baselineName: `${referenceName}, same seconds, other core`,
      ratio: fmt(ratio),
      target: '0.95 <= ratio <= 1.05',
      pass: ratio >= 0.95 && ratio <= 1.05,
      spread: `pairs ${range(ratios)}; single runs ${range(singleRatios)}`,
    },
    {
      name: `db12 same moment, ${label}: ${who} single-run spread vs the reference's, over the same minutes (1.4826 MAD / median)`,
      value: fmt(relMad(singles)),
      unit: 'relative',
      baseline: fmt(relMad(norms)),
      baselineName: `${referenceName} NORM over the pairs`,
      ratio: fmt(relMad(norms) > 0 ? relMad(singles) / relMad(norms) : Number.POSITIVE_INFINITY),
      target: 'pilot spread <= reference spread (ratio <= 1)',
      pass: relMad(singles) <= relMad(norms),
      spread: `single runs over their simultaneous reference: ${fmt(relMad(singleRatios))}`,
    },
  ];
}

export default async function run({ runs = 4, loadedRuns, log = console.log } = {}) {
  const loaded = loadedRuns ?? Math.max(1, Math.round(runs / 2));
  if (cpus().length < 2 || !hasTaskset()) {
    log('db12 same moment: skipped (needs 2 CPUs and taskset)');
    return [];
  }
  const model = cpuModel();
  const work = mkdtempSync(path.join(tmpdir(), 'db12-same-'));
  const started = performance.now();
  try {
    const bundle = await buildPilotCli(work);
    const engines = pilotEngines(bundle);
    log(`db12 same moment on ${model}: reference ${referenceName}, pilot engines ${engines.join(', ')}`);
    const quiet = await series(runs, 'node as found', bundle, engines, log);
    let busy = [];
    if (loaded > 0) {
      const stop = busyEveryCore();
      try {
        busy = await series(loaded, `loaded (+${cpus().length} busy processes)`, bundle, engines, log);
      } finally {
        stop();
      }
    }
    const results = engines.flatMap((engine) => [
      ...rows(quiet, 'node as found', model, engine),
      ...rows(busy, 'loaded node', model, engine),
    ]);
    results.push(wallTimeRow('db12 same moment: wall time spent', started, runs + loaded));
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await runFromCommandLine(import.meta.url, run, 4);

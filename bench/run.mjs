#!/usr/bin/env node
// Runs every bench/*.bench.mjs, each measuring figures against a baseline taken in the same run,
// and writes bench/results.json (one record per figure) and bench/results.md (a readable table).
// Usage: npm run bench [-- --runs N] [-- --only name,name]
import { readdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const runs = Number(option('runs', '7'));
const only = option('only', '')?.split(',').filter(Boolean) ?? [];

const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.includes(f.replace('.bench.mjs', '')))
  .sort();

const log = (...parts) => process.stderr.write(`${parts.join(' ')}\n`);
const records = [];
const failures = [];
for (const file of files) {
  log(`bench: ${file}`);
  try {
    const mod = await import(pathToFileURL(path.join(here, file)).href);
    const out = await mod.default({ runs, log: (...p) => log(`  [${file}]`, ...p) });
    for (const record of out) records.push({ bench: file.replace('.bench.mjs', ''), ...record });
  } catch (error) {
    failures.push({ bench: file, error: String(error?.stack ?? error) });
    log(`bench: ${file} failed: ${error?.message ?? error}`);
  }
}

// Keep figures of benches not run this time (--only), so results.md stays complete.
const resultsJson = path.join(here, 'results.json');
if (only.length > 0 && existsSync(resultsJson)) {
  const ranNow = new Set(records.map((r) => r.bench));
  const previous = JSON.parse(readFileSync(resultsJson, 'utf8')).records ?? [];
  for (const r of previous) if (!ranNow.has(r.bench)) records.push(r);
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
};
writeFileSync(resultsJson, `${JSON.stringify({ machine, runs, records, failures }, null, 2)}\n`);

const fmt = (v) =>
  typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3)) : (v ?? '');
const lines = [
  '# Benchmark results',
  '',
  `Written by \`npm run bench\` (bench/run.mjs). Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.date}. ${runs} runs per figure unless a bench says otherwise; medians, spread = min..max.`,
  '',
  '| bench | figure | value | unit | baseline | baseline value | ratio | target | pass | spread |',
  '|---|---|---:|---|---|---:|---:|---|---|---|',
  ...records.map(
    (r) =>
      `| ${r.bench} | ${r.name} | ${fmt(r.value)} | ${r.unit ?? ''} | ${r.baselineName ?? ''} | ${fmt(r.baseline)} | ${fmt(r.ratio)} | ${r.target ?? ''} | ${r.pass === undefined ? '' : r.pass ? 'yes' : '**no**'} | ${r.spread ?? ''} |`,
  ),
  '',
];
for (const file of readdirSync(here)
  .filter((f) => f.endsWith('.plot.md'))
  .sort()) {
  lines.push(readFileSync(path.join(here, file), 'utf8'), '');
}
if (failures.length > 0)
  lines.push('## Benches that failed to run', '', ...failures.map((f) => `- ${f.bench}: ${f.error.split('\n')[0]}`), '');
writeFileSync(path.join(here, 'results.md'), lines.join('\n'));
log(`bench: ${records.length} figures, ${records.filter((r) => r.pass === false).length} below target, ${failures.length} benches failed`);

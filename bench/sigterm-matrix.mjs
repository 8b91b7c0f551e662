#!/usr/bin/env node
// The SIGTERM matrix of issue 16 §1 (tests/reliability/sigterm-matrix.test.ts), run N times; the
// worst exit time per cell goes to bench/sigterm-matrix.json, bench/sigterm-matrix.md and the
// table in docs/reliability.md between its sigterm-matrix markers.
// Usage: node scripts/build.mjs && node bench/sigterm-matrix.mjs [--runs N]   (one run: about 3 min on 2 cores)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = process.argv.slice(2);
const runs = Number(args.includes('--runs') ? args[args.indexOf('--runs') + 1] : '1');
const GRACE_MS = 20_000;
const STAGES = ['start-up', 'registration', 'match', 'download', 'payload', 'upload', 'final-status'];
const FAULTS = ['refused', 'black-hole', 'tls-mismatch', '503-storm', 'drip'];

const dir = mkdtempSync(path.join(tmpdir(), 'sigterm-matrix-bench-'));
const recordFile = path.join(dir, 'cells.jsonl');
const loads = [];
let failedRuns = 0;
for (let run = 1; run <= runs; run++) {
  process.stderr.write(`sigterm-matrix: run ${run}/${runs}\n`);
  loads.push(loadavg()[0]);
  try {
    execFileSync(path.join(root, 'node_modules', '.bin', 'vitest'), ['run', 'tests/reliability/sigterm-matrix.test.ts'], {
      cwd: root,
      env: { ...process.env, SIGTERM_MATRIX_RECORD: recordFile },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch {
    failedRuns++;
    process.stderr.write(`sigterm-matrix: run ${run} had failing cells (their times are still recorded)\n`);
  }
}

const cells = new Map();
for (const line of readFileSync(recordFile, 'utf8').split('\n').filter(Boolean)) {
  const cell = JSON.parse(line);
  const key = `${cell.stage}\u0000${cell.fault}`;
  const seen = cells.get(key) ?? {
    stage: cell.stage,
    fault: cell.fault,
    worstMs: null,
    codes: new Set(),
    runs: 0,
    endedFirst: 0,
    forced: 0,
  };
  seen.runs++;
  seen.codes.add(cell.code);
  if (cell.exitMs === null) seen.endedFirst++;
  else seen.worstMs = Math.max(seen.worstMs ?? 0, cell.exitMs);
  if (cell.forcedExit) seen.forced++;
  cells.set(key, seen);
}
rmSync(dir, { recursive: true, force: true });

const fmt = (cell) => {
  if (!cell) return 'not run';
  const time = cell.worstMs === null ? 'ended first' : `${(cell.worstMs / 1000).toFixed(1)} s`;
  const codes = [...cell.codes].join('/');
  return `${time} (${codes}${cell.forced ? ', forced' : ''})`;
};
const header = `| Stage \\ fault | ${FAULTS.join(' | ')} |\n|---|${FAULTS.map(() => '---:').join('|')}|\n`;
const rows = STAGES.map((stage) => `| ${stage} | ${FAULTS.map((fault) => fmt(cells.get(`${stage}\u0000${fault}`))).join(' | ')} |`).join(
  '\n',
);
const extras = [...cells.values()].filter((c) => !FAULTS.includes(c.fault) || !STAGES.includes(c.stage));
const extraRows = extras.map((c) => `| ${c.stage} | ${fmt(c)} |`).join('\n');
const worst = Math.max(...[...cells.values()].map((c) => c.worstMs ?? 0));
const date = new Date().toISOString().slice(0, 10);
const machine = `${cpus().length} cores, load average ${loads.map((l) => l.toFixed(1)).join(', ')} at the start of each run`;
const table = `Worst exit time after SIGTERM per cell over ${runs} run(s) (${date}, ${machine}; \`node bench/sigterm-matrix.mjs --runs ${runs}\`), with the exit code(s) seen. Grace: ${GRACE_MS / 1000} s. "ended first": the pilot had already ended on the fault itself, with the code shown, before the signal could be sent. "forced": the forced exit at 19 s was needed.

${header}${rows}

| Healthy API, stalled or signalled | Worst exit (code) |
|---|---:|
${extraRows}

Worst of all cells: ${(worst / 1000).toFixed(1)} s${failedRuns ? ` (${failedRuns} run(s) had failing cells)` : ''}.`;

writeFileSync(
  path.join(here, 'sigterm-matrix.json'),
  `${JSON.stringify({ date, runs, machine, graceMs: GRACE_MS, cells: [...cells.values()].map((c) => ({ ...c, codes: [...c.codes] })) }, null, 2)}\n`,
);
writeFileSync(path.join(here, 'sigterm-matrix.md'), `# SIGTERM matrix (issue 16 §1)\n\n${table}\n`);
const docFile = path.join(root, 'docs', 'reliability.md');
const doc = readFileSync(docFile, 'utf8');
const begin = '<!-- sigterm-matrix:begin -->';
const end = '<!-- sigterm-matrix:end -->';
if (doc.includes(begin) && doc.includes(end)) {
  writeFileSync(docFile, `${doc.slice(0, doc.indexOf(begin) + begin.length)}\n${table}\n${doc.slice(doc.indexOf(end))}`);
}
process.stdout.write(`${table}\n`);

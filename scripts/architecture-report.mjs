#!/usr/bin/env node
// Figures on the shape of src/: lines per part, imports between parts, parts that import each other,
// file-level cycles, the largest files and the lines over the length limit.
// Usage: node scripts/architecture-report.mjs [checkout-root] [--json]
// Run it on an older checkout (git worktree add /tmp/before <commit>) to compare before and after
// with the same code. The graph is read by scripts/import-graph.mjs, as in tests/architecture.test.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crossPartEdges, fileCycles, mutualPairs, readImportGraph } from './import-graph.mjs';

const MAX_LINE = 140;
const args = process.argv.slice(2);
const json = args.includes('--json');
const root = args.find((a) => !a.startsWith('--')) ?? process.cwd();

const { files, edges } = readImportGraph(root);

const parts = new Map();
for (const f of files.values()) {
  const p = parts.get(f.part) ?? { part: f.part, files: 0, lines: 0, testFiles: 0, testLines: 0 };
  if (f.test) {
    p.testFiles++;
    p.testLines += f.lines.length;
  } else {
    p.files++;
    p.lines += f.lines.length;
  }
  parts.set(f.part, p);
}

const sourceEdges = edges.filter((e) => !files.get(e.from).test);
const cross = crossPartEdges(sourceEdges);
const incoming = new Map();
for (const e of cross) incoming.set(e.toPart, (incoming.get(e.toPart) ?? 0) + 1);
const arrows = new Map();
for (const e of cross) {
  const key = `${e.fromPart} → ${e.toPart}`;
  arrows.set(key, (arrows.get(key) ?? 0) + 1);
}

/** Lines over the limit in every .ts/.mjs file of src/, tests/, bench/ and scripts/ (fixtures left out). */
function longLines() {
  const found = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'fixtures' && entry.name !== 'node_modules') walk(rel);
      } else if (/\.(ts|mts|mjs|cjs|js)$/.test(entry.name) && statSync(join(root, rel)).size < 2_000_000) {
        readFileSync(join(root, rel), 'utf8')
          .split('\n')
          .forEach((line, i) => {
            const length = [...line].length;
            if (length > MAX_LINE) found.push({ file: rel, line: i + 1, length });
          });
      }
    }
  };
  for (const dir of ['src', 'tests', 'bench', 'scripts']) walk(dir);
  return found;
}

const sourceFiles = [...files.values()].filter((f) => !f.test);
const largest = [...sourceFiles].sort((a, b) => b.lines.length - a.lines.length).slice(0, 10);
const long = longLines();
const report = {
  root,
  sourceFiles: sourceFiles.length,
  sourceLines: sourceFiles.reduce((n, f) => n + f.lines.length, 0),
  parts: [...parts.values()].sort((a, b) => a.part.localeCompare(b.part)),
  crossPartImports: cross.length,
  crossPartImportsInto: Object.fromEntries([...incoming].sort((a, b) => b[1] - a[1])),
  arrows: Object.fromEntries([...arrows].sort()),
  mutualPairs: mutualPairs(sourceEdges),
  mutualPairsWithTests: mutualPairs(edges),
  fileCycles: fileCycles(edges),
  largest: largest.map((f) => ({ file: f.file, lines: f.lines.length })),
  linesOverLimit: {
    limit: MAX_LINE,
    src: long.filter((l) => l.file.startsWith('src/') && !l.file.endsWith('.test.ts')).length,
    srcTests: long.filter((l) => l.file.startsWith('src/') && l.file.endsWith('.test.ts')).length,
    all: long.length,
    longest: long.reduce((m, l) => Math.max(m, l.length), 0),
  },
};

if (json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const out = [];
  out.push(`# Architecture report for ${root}`);
  out.push(`source files ${report.sourceFiles}, source lines ${report.sourceLines} (tests beside them not counted)`);
  out.push('');
  out.push('part               files  lines  test-files  test-lines');
  for (const p of report.parts) {
    const columns = [
      [p.files, 5],
      [p.lines, 6],
      [p.testFiles, 11],
      [p.testLines, 11],
    ];
    out.push(`${p.part.padEnd(18)} ${columns.map(([n, width]) => String(n).padStart(width)).join(' ')}`);
  }
  out.push('');
  out.push(`imports between parts (importer, imported file pairs; non-test importers): ${report.crossPartImports}`);
  out.push(
    `  into: ${Object.entries(report.crossPartImportsInto)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  out.push('arrows between parts (core, which every part may import, left out):');
  const byPart = new Map();
  for (const key of Object.keys(report.arrows)) {
    const [from, to] = key.split(' → ');
    if (to !== 'core') byPart.set(from, [...(byPart.get(from) ?? []), to]);
  }
  for (const [from, tos] of byPart) out.push(`  ${from.padEnd(16)} → ${tos.join(', ')}`);
  out.push(`parts importing each other both ways: ${report.mutualPairs.length}`);
  for (const [a, b] of report.mutualPairs) out.push(`  ${a} ⇄ ${b}`);
  out.push(`  (counting test files too: ${report.mutualPairsWithTests.length})`);
  out.push(`file-level import cycles: ${report.fileCycles.length}`);
  for (const c of report.fileCycles) out.push(`  ${c.join(' → ')}`);
  out.push('largest source files:');
  for (const f of report.largest) out.push(`  ${String(f.lines).padStart(4)}  ${f.file}`);
  const l = report.linesOverLimit;
  out.push(
    `lines over ${l.limit} characters: ${l.src} in src/ (not counting its ${l.srcTests} in tests beside the code), ` +
      `${l.all} in src/ tests/ bench/ scripts/ in all; longest ${l.longest}`,
  );
  console.log(out.join('\n'));
}

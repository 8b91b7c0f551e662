/**
 * The house rules (docs/architecture.md, "Rules the code keeps"), held by a test: the import graph of
 * src/ has no cycle between files, and none of the arrows listed in docs/architecture-rules.json.
 * The graph is read by scripts/import-graph.mjs, which scripts/architecture-report.mjs also uses.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fileCycles, forbiddenImports, isTestFile, mutualPairs, readImportGraph, type ArchitectureRule } from '../scripts/import-graph.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rules = (JSON.parse(readFileSync(path.join(ROOT, 'docs', 'architecture-rules.json'), 'utf8')) as { forbidden: ArchitectureRule[] })
  .forbidden;
const graph = readImportGraph(ROOT);

describe('the import graph of src/', () => {
  it('has no cycle between files (type-only imports included)', () => {
    expect(fileCycles(graph.edges)).toEqual([]);
  });

  it('has none of the forbidden arrows between folders', () => {
    const broken = forbiddenImports(graph.edges, rules).map((b) => `${b.from} → ${b.to} (${b.rule.why})`);
    expect(broken).toEqual([]);
  });

  it('has no two folders importing each other both ways (tests beside the code left out)', () => {
    const code = graph.edges.filter((e) => !isTestFile(e.from));
    expect(mutualPairs(code).map(([a, b]) => `${a} ⇄ ${b}`)).toEqual([]);
  });

  it('reads real imports: the frame imports core, and each rule names folders that exist or are planned', () => {
    expect(graph.edges.some((e) => e.from === 'src/pilot/cli.ts' && e.to.startsWith('src/'))).toBe(true);
    expect(graph.edges.length).toBeGreaterThan(500);
    const parts = new Set([...graph.files.values()].map((f) => f.part));
    for (const rule of rules) for (const part of rule.from) expect(parts.has(part) || part === 'data', part).toBe(true);
  });

  it('keeps unit tests beside the code away from the integration harness (tests/integration/)', () => {
    const offenders = [...graph.files.values()]
      .filter((f) => f.test && f.lines.some((line) => /from '[./]*tests\/integration\//.test(line)))
      .map((f) => f.file);
    expect(offenders).toEqual([]);
  });
});

describe('the checker itself', () => {
  it('finds a forbidden arrow and a cycle when there is one', () => {
    const edges = [
      { from: 'src/payload/a.ts', to: 'src/pilot/b.ts', typeOnly: true },
      { from: 'src/pilot/b.ts', to: 'src/payload/a.ts', typeOnly: false },
      { from: 'src/core/c.ts', to: 'src/jdl/d.ts', typeOnly: false },
      { from: 'src/jdl/d.ts', to: 'src/core/c.ts', typeOnly: false },
    ];
    expect(forbiddenImports(edges, rules).map((b) => `${b.from} → ${b.to}`)).toEqual([
      'src/payload/a.ts → src/pilot/b.ts',
      'src/core/c.ts → src/jdl/d.ts',
    ]);
    expect(fileCycles(edges).map((c) => c.length)).toEqual([2, 2]);
    expect(fileCycles(edges, { includeTypeOnly: false })).toEqual([['src/core/c.ts', 'src/jdl/d.ts']]);
  });
});

// The import graph of src/: which file imports which, and which top-level folder ("part") each file
// belongs to. Used by the architecture test (tests/architecture.test.ts) and by
// scripts/architecture-report.mjs, so the rules and the before/after figures come from the same code.
//
// Imports are read with TypeScript's own pre-processor (static imports, re-exports, `import type`,
// dynamic `import()`), not with a regular expression, so comments and strings cannot fool it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Every .ts file under `dir`, relative to `root`, with '/' separators; sorted. */
function listTsFiles(root, dir) {
  const out = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listTsFiles(root, rel));
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out.sort();
}

/** The part a file belongs to: its first folder under src/ ('src/pilot/cli.ts' → 'pilot'). */
export function partOf(file) {
  const segments = file.split('/');
  return segments.length > 2 ? segments[1] : '(src)';
}

export function isTestFile(file) {
  return file.endsWith('.test.ts');
}

/** './x.js' seen from `from` → the src file it names ('src/a/x.ts'), or undefined when outside src/. */
function resolveSpecifier(root, from, specifier, known) {
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(root, resolve(root, dirname(from), specifier))
    .split(sep)
    .join('/');
  const stem = target.replace(/\.(js|mjs|cjs|ts)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}/index.ts`, target]) {
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Reads src/ under `root`: `files` (each with its line count and its lines), and `edges`, one per
 * (importer, imported) pair of src files, with `typeOnly` when every import of that pair is `import type`.
 */
export function readImportGraph(root) {
  const paths = listTsFiles(root, 'src');
  const known = new Set(paths);
  const files = new Map();
  const edges = [];
  for (const file of paths) {
    const text = readFileSync(join(root, file), 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    files.set(file, { file, part: partOf(file), test: isTestFile(file), lines });
    const info = ts.preProcessFile(text, true, true);
    const targets = new Map();
    for (const ref of info.importedFiles) {
      const to = resolveSpecifier(root, file, ref.fileName, known);
      if (to === undefined || to === file) continue;
      const typeOnly = isTypeOnlyAt(text, ref.pos);
      targets.set(to, (targets.get(to) ?? true) && typeOnly);
    }
    for (const [to, typeOnly] of targets) edges.push({ from: file, to, typeOnly });
  }
  return { files, edges };
}

/** Whether the import statement holding the specifier at `pos` is `import type` / `export type`. */
function isTypeOnlyAt(text, pos) {
  const start = Math.max(text.lastIndexOf('import', pos), text.lastIndexOf('export', pos));
  if (start < 0) return false;
  return /^(import|export)\s+type\s/.test(text.slice(start, pos));
}

/** Strongly connected components of more than one file (or a file importing itself): the cycles. */
export function fileCycles(edges, { includeTypeOnly = true } = {}) {
  const next = new Map();
  for (const { from, to, typeOnly } of edges) {
    if (typeOnly && !includeTypeOnly) continue;
    if (!next.has(from)) next.set(from, []);
    next.get(from).push(to);
  }
  // Tarjan's algorithm, iterative so a deep chain cannot overflow the stack.
  let index = 0;
  const indexOf = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const components = [];
  for (const start of next.keys()) {
    if (indexOf.has(start)) continue;
    const work = [[start, 0]];
    indexOf.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work.at(-1);
      const [node, i] = frame;
      const children = next.get(node) ?? [];
      if (i < children.length) {
        frame[1]++;
        const child = children[i];
        if (!indexOf.has(child)) {
          indexOf.set(child, index);
          low.set(child, index++);
          stack.push(child);
          onStack.add(child);
          work.push([child, 0]);
        } else if (onStack.has(child)) {
          low.set(node, Math.min(low.get(node), indexOf.get(child)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work.at(-1)[0];
        low.set(parent, Math.min(low.get(parent), low.get(node)));
      }
      if (low.get(node) === indexOf.get(node)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        if (component.length > 1) components.push(component.sort());
      }
    }
  }
  return components;
}

/** Imports whose two files sit in different parts, each as { from, to, fromPart, toPart, typeOnly }. */
export function crossPartEdges(edges) {
  return edges
    .map((edge) => ({ ...edge, fromPart: partOf(edge.from), toPart: partOf(edge.to) }))
    .filter((edge) => edge.fromPart !== edge.toPart);
}

/** Part pairs [a, b] (a < b) where a imports b and b imports a. */
export function mutualPairs(edges) {
  const arrows = new Set(crossPartEdges(edges).map((e) => `${e.fromPart}\u0000${e.toPart}`));
  const pairs = [];
  for (const arrow of arrows) {
    const [a, b] = arrow.split('\u0000');
    if (a < b && arrows.has(`${b}\u0000${a}`)) pairs.push([a, b]);
  }
  return pairs.sort((x, y) => `${x}`.localeCompare(`${y}`));
}

/**
 * The imports that break a rule of docs/architecture-rules.json. A rule is
 * { from: [parts], to: [parts] | "*", except?: [parts], why }: no file of a `from` part may import a file
 * of a `to` part ("*": any part other than its own; `except`: still allowed). Test files are held to the
 * same rules.
 */
export function forbiddenImports(edges, rules) {
  const broken = [];
  for (const edge of crossPartEdges(edges)) {
    for (const rule of rules) {
      if (!rule.from.includes(edge.fromPart)) continue;
      if (rule.except?.includes(edge.toPart)) continue;
      if (rule.to === '*' || rule.to.includes(edge.toPart)) broken.push({ ...edge, rule });
    }
  }
  return broken;
}

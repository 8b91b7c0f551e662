/**
 * Typed reads of a parsed JDL. The conversions follow DIRAC's ClassAdLight getters where those are
 * sound (Python int()/float() spellings, `true` only for booleans, a comma-separated scalar read as
 * a list) and keep what DIRAC would mangle (spaces inside quoted list items, nested lists).
 */
import type { JdlDocument, JdlValue } from './jdl-parse.js';

/**
 * Exact name first, as DIRAC's ClassAd does (`executable` and `Executable` are two attributes);
 * if there is no exact match, a unique case-insensitive one, so hand-written JDLs with
 * `cputime = 100` still read.
 */
export function jdlLookup(doc: JdlDocument, key: string): JdlValue | undefined {
  const exact = doc.attributes.get(key);
  if (exact !== undefined) return exact;
  const lower = key.toLowerCase();
  let found: JdlValue | undefined;
  for (const [name, value] of doc.attributes) {
    if (name.toLowerCase() !== lower) continue;
    if (found !== undefined) return undefined;
    found = value;
  }
  return found;
}

export function jdlHas(doc: JdlDocument, key: string): boolean {
  return jdlLookup(doc, key) !== undefined;
}

export function jdlKeys(doc: JdlDocument): string[] {
  return [...doc.attributes.keys()];
}

/** The text of one list item: strings unquoted, nested lists and ads as their raw text. */
function itemText(value: JdlValue): string {
  return value.kind === 'string' || value.kind === 'bare' ? value.text : value.raw;
}

/** String or bare value as text; a list as `a, b` (DIRAC's CFG form); undefined for a sub-ClassAd. */
export function jdlString(doc: JdlDocument, key: string): string | undefined {
  const value = jdlLookup(doc, key);
  if (value === undefined || value.kind === 'ad') return undefined;
  if (value.kind === 'list') return value.items.map(itemText).join(', ');
  return value.text;
}

/**
 * A list's items; a scalar is split on commas like DIRAC does (`Site = "A, B"` is two sites), so a
 * plain scalar is a one-element list and `""` is the empty list. Missing → [].
 */
export function jdlList(doc: JdlDocument, key: string): string[] {
  const value = jdlLookup(doc, key);
  if (value === undefined || value.kind === 'ad') return [];
  if (value.kind === 'list') return value.items.map(itemText);
  return value.text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const PYTHON_INT = /^[+-]?\d(?:_?\d)*$/;
const DIGITS = String.raw`\d(?:_?\d)*`;
const PYTHON_FLOAT = new RegExp(
  String.raw`^[+-]?(?:(?:${DIGITS})?\.${DIGITS}|${DIGITS}\.?)(?:[eE][+-]?${DIGITS})?$|^[+-]?(?:inf|infinity|nan)$`,
  'i',
);

/** What Python's int() accepts (`+7`, ` 12 `, `1_000`); undefined otherwise or beyond 2**53. */
export function parseJdlInt(text: string): number | undefined {
  const trimmed = text.trim();
  if (!PYTHON_INT.test(trimmed)) return undefined;
  const value = Number(trimmed.replaceAll('_', ''));
  return Number.isSafeInteger(value) ? value : undefined;
}

/** What Python's float() accepts (`1e5`, `inf`, `nan`, `1_000.5`). */
export function parseJdlNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!PYTHON_FLOAT.test(trimmed)) return undefined;
  const lower = trimmed.toLowerCase().replace(/^\+/, '');
  if (lower.endsWith('nan')) return Number.NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) {
    return lower.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return Number(trimmed.replaceAll('_', ''));
}

function scalarText(doc: JdlDocument, key: string): string | undefined {
  const value = jdlLookup(doc, key);
  return value?.kind === 'string' || value?.kind === 'bare' ? value.text : undefined;
}

export function jdlInt(doc: JdlDocument, key: string): number | undefined {
  const text = scalarText(doc, key);
  return text === undefined ? undefined : parseJdlInt(text);
}

export function jdlNumber(doc: JdlDocument, key: string): number | undefined {
  const text = scalarText(doc, key);
  return text === undefined ? undefined : parseJdlNumber(text);
}

/** true only for `true` in any case, quoted or not (DIRAC's getAttributeBool); undefined if missing. */
export function jdlBool(doc: JdlDocument, key: string): boolean | undefined {
  const value = jdlLookup(doc, key);
  if (value === undefined) return undefined;
  return (value.kind === 'string' || value.kind === 'bare') && value.text.toLowerCase() === 'true';
}

export function jdlAd(doc: JdlDocument, key: string): JdlDocument | undefined {
  const value = jdlLookup(doc, key);
  return value?.kind === 'ad' ? value.ad : undefined;
}

export type JdlPlain = string | JdlPlain[] | { [key: string]: JdlPlain };

/** The whole document as plain data: strings, arrays (lists) and objects (sub-ClassAds). */
export function jdlToPlain(doc: JdlDocument): Record<string, JdlPlain> {
  // Attribute names are the job's: an attribute called __proto__ must stay a key, not become the prototype.
  const out: Record<string, JdlPlain> = Object.create(null) as Record<string, JdlPlain>;
  for (const [name, value] of doc.attributes) out[name] = valueToPlain(value);
  return out;
}

function valueToPlain(value: JdlValue): JdlPlain {
  switch (value.kind) {
    case 'string':
    case 'bare':
      return value.text;
    case 'list':
      return value.items.map(valueToPlain);
    case 'ad':
      return jdlToPlain(value.ad);
  }
}

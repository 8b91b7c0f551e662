/**
 * Writing JDL in the layout DIRAC's ClassAd.asJDL() produces (sorted keys, 4-space indent, one
 * list item per line), so a JDL we serve or store reads like one DIRAC stored.
 */
import { JdlError, NAME_PATTERN, type JdlDocument, type JdlValue } from './jdl-parse.js';

/** Formats a parsed document, keeping every value's raw text. */
export function formatJdl(doc: JdlDocument, indent = 0): string {
  const pad = ' '.repeat(indent);
  const lines = [...doc.attributes.keys()].sort().map((name) => `${pad}    ${name} = ${formatValue(doc.attributes.get(name)!, indent)};`);
  return `[ \n${lines.join('\n')}\n${pad}]`;
}

function formatValue(value: JdlValue, indent: number): string {
  const pad = ' '.repeat(indent + 8);
  if (value.kind === 'list') {
    const items = value.items.map((item) => `${pad}    ${item.kind === 'ad' ? item.raw : item.raw}`);
    return `\n${pad}{\n${items.length === 0 ? `${pad}    ` : items.join(',\n')}\n${pad}}`;
  }
  if (value.kind === 'ad') return `\n${pad}${formatJdl(value.ad, indent + 8)}`;
  return value.raw;
}

export type JdlInput = string | number | bigint | boolean | readonly (string | number | bigint)[] | JdlFields;
export interface JdlFields {
  readonly [key: string]: JdlInput | undefined;
}

/**
 * Builds a JDL from plain values: strings are quoted, numbers and booleans bare, arrays become
 * lists, objects sub-ClassAds; undefined fields are left out. JDL strings have no escapes, so a
 * string holding `"` cannot be written and throws.
 */
export function renderJdl(fields: JdlFields): string {
  return formatJdl(toDocument(fields, ''));
}

function toDocument(fields: JdlFields, path: string): JdlDocument {
  const attributes = new Map<string, JdlValue>();
  for (const [name, input] of Object.entries(fields)) {
    if (input === undefined) continue;
    if (!NAME_PATTERN.test(name)) throw new JdlError(`JDL: cannot write attribute name ${JSON.stringify(path + name)}`);
    attributes.set(name, toValue(input, path + name));
  }
  return { attributes };
}

function toValue(input: JdlInput, path: string): JdlValue {
  if (typeof input === 'string') {
    if (input.includes('"')) throw new JdlError(`JDL: the value of ${path} contains '"', which JDL strings cannot hold`);
    return { kind: 'string', text: input, raw: `"${input}"` };
  }
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new JdlError(`JDL: the value of ${path} is not a finite number`);
    return { kind: 'bare', text: String(input), raw: String(input) };
  }
  if (typeof input === 'bigint' || typeof input === 'boolean') {
    return { kind: 'bare', text: String(input), raw: String(input) };
  }
  if (Array.isArray(input)) {
    const items = (input as readonly (string | number | bigint)[]).map((item, i) => toValue(item, `${path}[${i}]`));
    return { kind: 'list', items, raw: `{${items.map((item) => item.raw).join(', ')}}` };
  }
  const ad = toDocument(input as JdlFields, `${path}.`);
  return { kind: 'ad', ad, raw: formatJdl(ad) };
}

/**
 * Small parsers shared by the probes: Linux CPU lists, `key: value` and `KEY=value` files.
 * Each returns null (never throws) on input it cannot read, so the caller can warn and go on.
 */

/** `0-3,8,10-11` → [0,1,2,3,8,10,11]; null when any part is not a number or range. */
export function parseCpuList(text: string): number[] | null {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const cpus: number[] = [];
  for (const part of trimmed.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return null;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    // A range this wide is garbage, not a machine: refuse rather than allocate a huge array.
    if (last < first || last - first > 65536) return null;
    for (let cpu = first; cpu <= last; cpu += 1) cpus.push(cpu);
  }
  return cpus;
}

/** `os-release` style: `KEY=value` or `KEY="quoted value"`; comments and junk lines skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    let value = (match[2] ?? '').trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    }
    result[match[1] as string] = value;
  }
  return result;
}

/** A strict decimal integer (no units, no sign unless allowNegative); null otherwise. */
export function parseInteger(text: string | undefined | null, allowNegative = false): number | null {
  if (text === undefined || text === null) return null;
  const trimmed = text.trim();
  if (!(allowNegative ? /^-?\d+$/ : /^\d+$/).test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? value : null;
}

/** A finite decimal number; null otherwise. */
export function parseNumber(text: string | undefined | null): number | null {
  if (text === undefined || text === null) return null;
  const trimmed = text.trim();
  if (!/^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/**
 * HTCondor ClassAd files as HTCondor writes them for a job (`_CONDOR_JOB_AD`,
 * `_CONDOR_MACHINE_AD`): one `Attr = value` per line, strings double-quoted, numbers bare,
 * anything else an expression we keep as text. Attribute names are case-insensitive.
 */
export type ClassAdValue = string | number | boolean;

export function parseClassAd(text: string): Map<string, ClassAdValue> {
  const ad = new Map<string, ClassAdValue>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][\w.]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    const raw = match[2] ?? '';
    let value: ClassAdValue = raw;
    if (/^".*"$/.test(raw)) value = raw.slice(1, -1).replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    else if (/^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(raw)) value = Number(raw);
    else if (/^(true|false)$/i.test(raw)) value = raw.toLowerCase() === 'true';
    ad.set((match[1] as string).toLowerCase(), value);
  }
  return ad;
}

export function adNumber(ad: Map<string, ClassAdValue> | null, name: string): number | null {
  const value = ad?.get(name.toLowerCase());
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function adString(ad: Map<string, ClassAdValue> | null, name: string): string | null {
  const value = ad?.get(name.toLowerCase());
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}

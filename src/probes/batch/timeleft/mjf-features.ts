import { readFile } from '../../fs-async.js';
import path from 'node:path';

/**
 * HEPiX Machine/Job Features: $MACHINEFEATURES and $JOBFEATURES name a directory (or an
 * http(s) URL) holding one value per file, e.g. $JOBFEATURES/wall_limit_secs.
 */
export const MJF_FETCH_TIMEOUT_MS = 5_000;

/** Reads a local file, or fetches an http(s) URL with a timeout. */
export async function readTextOrUrl(location: string): Promise<string> {
  if (/^https?:\/\//i.test(location)) {
    const response = await fetch(location, { signal: AbortSignal.timeout(MJF_FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.text();
  }
  return await readFile(location);
}

export function featureLocation(base: string, name: string): string {
  return /^https?:\/\//i.test(base) ? `${base.replace(/\/+$/, '')}/${name}` : path.join(base, name);
}

export type FeatureValue = { value: number } | { missing: true } | { error: string };

/** One numeric feature: a missing file is `missing`, anything but a number is an `error` naming it. */
export async function readNumericFeature(
  readText: (location: string) => Promise<string>,
  base: string,
  name: string,
): Promise<FeatureValue> {
  const location = featureLocation(base, name);
  let text: string;
  try {
    text = await readText(location);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || /HTTP 404/.test((error as Error).message)) return { missing: true };
    return { error: `cannot read ${location}: ${(error as Error).message}` };
  }
  const trimmed = text.trim();
  if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return { error: `${location} is not a number: ${JSON.stringify(trimmed.slice(0, 40))}` };
  return { value: Number(trimmed) };
}

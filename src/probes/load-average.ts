import { join } from 'node:path';
import { readProcText } from './proc-read.js';

/** The node's load averages, as /proc/loadavg gives them; null where the file is unreadable or odd. */
export interface LoadAverage {
  load1: number;
  load5: number;
  load15: number;
}

export function parseLoadAverage(text: string): LoadAverage | null {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) return null;
  return { load1: a as number, load5: b as number, load15: c as number };
}

/** The load averages under a root directory (a live node, or a captured one). */
export function readLoadAverage(root = '/'): LoadAverage | null {
  return readLoadAverageFile(join(root, 'proc/loadavg'));
}

export function readLoadAverageFile(file: string): LoadAverage | null {
  try {
    return parseLoadAverage(readProcText(file, 4096));
  } catch {
    return null;
  }
}

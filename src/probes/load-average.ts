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

export function readLoadAverage(root = '/'): LoadAverage | null {
  try {
    return parseLoadAverage(readProcText(join(root, 'proc/loadavg'), 4096));
  } catch {
    return null;
  }
}

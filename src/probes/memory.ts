import type { NodeSource } from './source.js';
import type { Warnings } from './warnings.js';

/** MemTotal of /proc/meminfo in MB; null when missing or malformed. */
export async function readMemTotalMB(source: NodeSource, warnings: Warnings): Promise<number | null> {
  const text = await source.readText('/proc/meminfo');
  if (text === null) {
    warnings.add('memory', '/proc/meminfo is missing or unreadable');
    return null;
  }
  const match = /^MemTotal:\s+(\d+)\s*kB\s*$/m.exec(text);
  if (!match) {
    warnings.add('memory', '/proc/meminfo has no "MemTotal: N kB" line');
    return null;
  }
  return Math.floor(Number(match[1]) / 1024);
}

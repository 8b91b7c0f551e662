import type { BatchContext } from './types.js';

/** Read a host list file the batch system names in the environment; null with a warning when unreadable. */
export async function readHostFile(context: BatchContext, variable: string): Promise<string[] | null> {
  const file = context.env[variable];
  if (!file) return null;
  const text = await context.source.readText(file);
  if (text === null) {
    context.warnings.add('batch', `${variable} points to ${file}, which cannot be read`);
    return null;
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

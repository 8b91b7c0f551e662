import type { PilotRun } from '../integration/pilot-process.js';

/** Lines a failing pilot prints for people: `pilot: <what went wrong>`. */
export const pilotLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('pilot: '));

/**
 * What is wrong with how a pilot process ended, or null when it ended as documented: an allowed
 * exit code, no signal, no stack trace, and, when it failed, exactly one `pilot:` line.
 */
export function uncleanEnd(run: PilotRun, allowed: readonly number[]): string | null {
  if (run.signal) return `killed by ${run.signal}`;
  if (run.code === null || !allowed.includes(run.code))
    return `exit code ${run.code}, allowed ${allowed.join('/')}: ${pilotLines(run.stderr).join(' | ') || run.stderr.slice(-300)}`;
  if (/^\s+at /m.test(run.stderr)) return `stack trace on stderr: ${run.stderr.slice(0, 400)}`;
  if (run.code !== 0 && pilotLines(run.stderr).length !== 1)
    return `exit ${run.code} with ${pilotLines(run.stderr).length} 'pilot:' lines: ${run.stderr.slice(-400)}`;
  return null;
}

/** Runs `task` over `items`, at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * With `reject: false`, execa reports a binary that could not be started (ENOENT, EACCES)
 * as a result without exit code or signal; this names why, for a one-line warning.
 */
export function spawnFailure(result: { exitCode?: number; signal?: string; code?: string; shortMessage?: string }): string | null {
  if (result.exitCode !== undefined || result.signal !== undefined) return null;
  return result.code ?? result.shortMessage?.split('\n')[0] ?? 'unknown error';
}

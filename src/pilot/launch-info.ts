/** Which bundle the launcher ran, and what became of its build-time code cache. */
export interface LaunchInfo {
  bundle: 'pilot-lite' | 'pilot-main';
  codeCache: 'accepted' | 'rejected' | 'none';
}

const KEY = '__pilotLaunch';

export function recordLaunch(info: LaunchInfo): void {
  (globalThis as Record<string, unknown>)[KEY] = info;
}

/** Null when the code did not start through the launcher (unit tests, a bundle required directly). */
export function currentLaunch(): LaunchInfo | null {
  return ((globalThis as Record<string, unknown>)[KEY] as LaunchInfo | undefined) ?? null;
}

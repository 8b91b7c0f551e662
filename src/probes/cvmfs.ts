import { withDeadline } from './deadline.js';
import type { CvmfsInfo } from './types.js';
import type { NodeSource } from './source.js';
import type { Warnings } from './warnings.js';

/** DIRAC's default `--CVMFS_locations`. */
export const DEFAULT_CVMFS_REPOSITORIES = ['grid.cern.ch', 'dirac.egi.eu'];

/** `/cvmfs/lhcb.cern.ch` or `lhcb.cern.ch` → `lhcb.cern.ch`. */
export function repositoryName(entry: string): string {
  return entry.replace(/^\/cvmfs\//, '').replace(/\/+$/, '');
}

/**
 * Repositories that are mounted and readable. autofs shows only what is already mounted in
 * /cvmfs, so each configured repository is also listed by name (which mounts it on demand).
 */
export async function readCvmfs(
  source: NodeSource,
  configured: string[] = DEFAULT_CVMFS_REPOSITORIES,
  warnings?: Warnings,
  timeoutMs = 3000,
): Promise<CvmfsInfo> {
  const names = configured.map(repositoryName).filter(Boolean);
  // A wedged CVMFS mount blocks directory reads: give each one a deadline.
  const list = (dir: string): Promise<string[] | null> =>
    withDeadline(source.listDir(dir), timeoutMs, null, () =>
      warnings?.add('cvmfs', `${dir} did not answer within ${timeoutMs} ms (stuck mount?)`),
    );
  const [mounted, ...probed] = await Promise.all([list('/cvmfs'), ...names.map((name) => list(`/cvmfs/${name}`))]);
  const repositories = new Set<string>();
  for (const entry of mounted ?? []) if (entry.includes('.')) repositories.add(entry);
  names.forEach((name, i) => {
    if (probed[i] !== null) repositories.add(name);
    else repositories.delete(name);
  });
  return { available: repositories.size > 0, repositories: [...repositories].sort() };
}

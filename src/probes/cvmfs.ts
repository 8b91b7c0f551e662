import type { CvmfsInfo } from './types.js';
import type { NodeSource } from './source.js';

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
export async function readCvmfs(source: NodeSource, configured: string[] = DEFAULT_CVMFS_REPOSITORIES): Promise<CvmfsInfo> {
  const names = configured.map(repositoryName).filter(Boolean);
  const [mounted, ...probed] = await Promise.all([source.listDir('/cvmfs'), ...names.map((name) => source.listDir(`/cvmfs/${name}`))]);
  const repositories = new Set<string>();
  for (const entry of mounted ?? []) if (entry.includes('.')) repositories.add(entry);
  names.forEach((name, i) => {
    if (probed[i] !== null) repositories.add(name);
    else repositories.delete(name);
  });
  return { available: repositories.size > 0, repositories: [...repositories].sort() };
}

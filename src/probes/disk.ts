import { statfs } from './fs-async.js';
import { withDeadline } from './deadline.js';
import type { DiskInfo } from './types.js';
import type { Warnings } from './warnings.js';

/** Free space for an unprivileged user (bavail, as DIRAC's statvfs check), in MB. */
export async function readDisk(workDir: string, warnings: Warnings, timeoutMs = 3000): Promise<DiskInfo> {
  try {
    // A work directory on a hung NFS server blocks statfs: answer 0 MB free and say why.
    const stats = await withDeadline(statfs(workDir), timeoutMs, null, () =>
      warnings.add('disk', `statfs ${workDir} did not answer within ${timeoutMs} ms (stuck mount?)`),
    );
    if (stats === null) return { workDir, freeMB: 0 };
    return { workDir, freeMB: Math.floor((stats.bavail * stats.bsize) / (1024 * 1024)) };
  } catch (error) {
    warnings.add('disk', `cannot statfs ${workDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    return { workDir, freeMB: 0 };
  }
}

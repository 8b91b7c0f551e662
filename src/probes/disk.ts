import { statfs } from 'node:fs/promises';
import type { DiskInfo } from './types.js';
import type { Warnings } from './warnings.js';

/** Free space for an unprivileged user (bavail, as DIRAC's statvfs check), in MB. */
export async function readDisk(workDir: string, warnings: Warnings): Promise<DiskInfo> {
  try {
    const stats = await statfs(workDir);
    return { workDir, freeMB: Math.floor((stats.bavail * stats.bsize) / (1024 * 1024)) };
  } catch (error) {
    warnings.add('disk', `cannot statfs ${workDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    return { workDir, freeMB: 0 };
  }
}

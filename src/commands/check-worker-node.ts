import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { PilotCommand } from '../pilot/context.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/**
 * DIRAC's CheckWorkerNode: log what the node is, and end the pilot when the work directory has
 * less free disk than the minimum (-D). The full node validation is `pilot check`.
 */
export const checkWorkerNode: PilotCommand = {
  name: 'check-worker-node',
  description: 'log the node and check free disk in the work directory',
  async run(ctx) {
    const fs = await statfs(ctx.workDir);
    const freeMB = Math.floor((Number(fs.bavail) * Number(fs.bsize)) / 1048576);
    ctx.logger.info(
      {
        host: os.hostname(),
        kernel: os.release(),
        arch: os.arch(),
        cpus: os.cpus()[0]?.model ?? 'unknown',
        memMB: Math.round(os.totalmem() / 1048576),
        workDir: ctx.workDir,
        freeMB,
      },
      'worker node',
    );
    if (freeMB < ctx.params.minDiskMB) {
      throw new PilotError(
        ExitCode.WORKDIR,
        `work directory ${ctx.workDir} has ${freeMB} MB free, below the minimum ${ctx.params.minDiskMB} MB (-D)`,
      );
    }
  },
};

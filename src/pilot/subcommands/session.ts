import path from 'node:path';
import type { ParsedArgv } from '../argv.js';
import type { PilotContext } from '../context.js';
import { createLogger, type Logger } from '../logger.js';
import { installSignalHandlers, type ShutdownController } from '../signals.js';
import { loadParams, makePilotStamp, prepareWorkDir } from '../setup.js';
import type { Params } from '../params.js';
import { loadNativeAddon } from '../../native/load.js';

export interface Session {
  ctx: PilotContext;
  shutdown: ShutdownController;
  close(): Promise<void>;
}

export interface SessionOptions {
  /**
   * true: create the work directory (`pilot-<stamp>` unless --work-dir) and log into it.
   * 'if-given': create and log only when --work-dir names one, else use the current directory.
   * false: read-only commands, which measure the work directory (or cwd) without creating it.
   */
  workDir: boolean | 'if-given';
  /** Keep stderr free of log lines (machine output follows). */
  quietLogs?: boolean;
}

/** Params, work directory, logger, native addon, signal handling: what every subcommand starts with. */
export function openSession(parsed: ParsedArgv, options: SessionOptions, env: NodeJS.ProcessEnv = process.env): Session {
  const params: Params = loadParams(parsed, env);
  const pilotStamp = makePilotStamp(params);
  const create = options.workDir === true || (options.workDir === 'if-given' && params.workDir !== undefined);
  const workDir = create ? prepareWorkDir(params, pilotStamp, env) : path.resolve(params.workDir ?? process.cwd());
  const logger: Logger = createLogger({
    ...(create ? { file: path.join(workDir, 'pilot.log') } : {}),
    debug: params.debug,
    quiet: options.quietLogs === true && !params.debug,
  });
  const shutdown = installSignalHandlers(logger);
  const native = loadNativeAddon({ workDir, logger });
  const ctx: PilotContext = {
    params,
    logger,
    env,
    workDir,
    pilotStamp,
    startedAt: new Date(),
    shutdown: shutdown.signal,
    native,
  };
  return {
    ctx,
    shutdown,
    close: async () => {
      await ctx.backend?.close().catch(() => undefined);
      shutdown.dispose();
      logger.flush();
    },
  };
}

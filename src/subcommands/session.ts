import { join, resolve } from 'node:path';
import type { ParsedArgv } from '../pilot/argv.js';
import type { PilotContext } from '../pilot/context.js';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/null-logger.js';
import { installSignalHandlers, type ShutdownController } from '../pilot/signals.js';
import { loadParams, makePilotStamp, prepareWorkDir } from '../pilot/setup.js';
import type { Params } from '../pilot/params.js';
import { loadNativeAddon } from '../native/load.js';
import { restoreRuntimeEnvironment } from '../pilot/runtime-reexec.js';
import type { NativeAddon } from '../native/types.js';
import { secretFilesOf } from '../payload/runner/secret-files.js';
import { hostCertificateDir, hostCredentialFile } from '../pilot/dirac-options.js';

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

/**
 * Params, work directory, logger, native addon, signal handling: what every subcommand starts with.
 * What a subcommand may never use is not loaded: pino when no line can be written anywhere, the
 * native addon until something asks for it (`pilot probe` on x86_64 reads /proc/cpuinfo only).
 */
export async function openSession(parsed: ParsedArgv, options: SessionOptions, env: NodeJS.ProcessEnv = process.env): Promise<Session> {
  // A pilot re-executed under its runtime settings (src/pilot/runtime-reexec.ts) puts its
  // environment back before anything can spawn: no helper or payload inherits them.
  restoreRuntimeEnvironment(env);
  const params: Params = await loadParams(parsed, env);
  const pilotStamp = makePilotStamp(params);
  const create = options.workDir === true || (options.workDir === 'if-given' && params.workDir !== undefined);
  const workDir = create ? prepareWorkDir(params, pilotStamp, env) : resolve(params.workDir ?? process.cwd());
  const hostCredentials = params.useServerCertificate
    ? [join(hostCertificateDir(params, workDir), 'hostkey.pem'), hostCredentialFile(workDir)]
    : [];
  // Whatever payloads this session runs, the runner hides these files from them (chooseRunner carries them).
  const credentialFiles = [params.credentialsFile, params.proxyFile ?? env.X509_USER_PROXY, params.pilotSecretFile, ...hostCredentials];
  const secretFiles = secretFilesOf(credentialFiles, env);
  const quiet = options.quietLogs === true && !params.debug;
  const logger: Logger =
    quiet && !create
      ? nullLogger()
      : (await import('../core/logger.js')).createLogger({
          ...(create ? { file: join(workDir, 'pilot.log') } : {}),
          debug: params.debug,
          quiet,
        });
  const shutdown = installSignalHandlers(logger);
  let native: NativeAddon | null | undefined;
  const ctx: PilotContext = {
    params,
    logger,
    env,
    workDir,
    pilotStamp,
    secretFiles,
    startedAt: new Date(),
    shutdown: shutdown.signal,
    get native() {
      native ??= loadNativeAddon({ workDir, logger });
      return native;
    },
  };
  // At the forced exit after a stop signal, what the backend could not deliver stays on disk.
  shutdown.beforeForcedExit(() => {
    const spooled = ctx.backend?.spoolNow?.() ?? 0;
    if (spooled > 0) logger.warn({ spooled }, `${spooled} status update(s) spooled at the forced exit`);
  });
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

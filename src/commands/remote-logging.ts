/**
 * `-z/--pilotLogging` with `-g/--loggerURL` (or pilot.json RemoteLogging / RemoteLoggerURL): the
 * pilot's log lines also go to DIRAC's remote pilot logger, whatever the backend, as the DIRAC pilot
 * sends them (src/dirac/remote-logger.ts has the wire). Lines are batched in the background (the
 * DiracX log shipper's buffer: by count, `RemoteLoggerBufsize` lines (DIRAC's default 1000), and
 * every `RemoteLoggerTimerInterval` seconds, pilot.json or the command line); at the end the rest
 * is sent, then `finaliseLogs` with the pilot's exit code. The log service is best effort, as in
 * DIRAC: one it refuses or cannot reach leaves the log in pilot.log and never changes the pilot's
 * exit code.
 */
import { once } from 'node:events';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { addLogDestination } from '../core/logger.js';
import { createPilotLogShipper } from '../diracx/index.js';
import type { PilotContext } from '../pilot/context.js';

export interface RemoteLogging {
  /** Sends what is left and `finaliseLogs(exitCode)`; bounded, never throws. */
  finish(exitCode: number): Promise<void>;
}

/** How long the end of the pilot waits for the log service (last lines, then finaliseLogs). */
const FINISH_BUDGET_MS = 10_000;

/** Failures that resending will not cure: the logger stops, the log stays local. */
// (An S_ERROR reply is COMMAND_FAILED: the DIRAC pilot does not resend those lines either.)
const PERMANENT = new Set<number>([
  ExitCode.COMMAND_FAILED,
  ExitCode.AUTH_REFUSED,
  ExitCode.TLS,
  ExitCode.SERVER_PROTOCOL,
  ExitCode.CONFIG,
  ExitCode.CREDENTIALS,
]);

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

export async function startRemoteLogging(ctx: PilotContext): Promise<RemoteLogging | null> {
  const p = ctx.params;
  if (!p.pilotLogging || !p.loggerURL) return null;
  const proxyPath = p.proxyFile ?? ctx.env.X509_USER_PROXY;
  const caDir = p.caPath ?? ctx.env.X509_CERT_DIR;
  if (!proxyPath || !caDir) {
    ctx.logger.warn(
      `-g/--loggerURL ${p.loggerURL}: needs a proxy (--proxy, X509_USER_PROXY) and a CA directory (--ca-path, X509_CERT_DIR); the log stays in pilot.log`,
    );
    return null;
  }
  // Loaded only when asked for: the X.509 stack is the heaviest part of the bundle.
  const { DiracRemoteLogger, formatRemoteLogLine } = await import('../dirac/remote-logger.js');
  let remote: Awaited<ReturnType<typeof DiracRemoteLogger.open>>;
  try {
    remote = await DiracRemoteLogger.open({
      url: p.loggerURL,
      proxyPath,
      caDir,
      // As the DIRAC pilot: its --pilotUUID (the wrapper's uuid), which the service files the log under.
      pilotUUID: p.pilotUUID ?? ctx.pilotStamp,
      vo: p.vo ?? 'unknown',
      timeoutMs: FINISH_BUDGET_MS,
    });
  } catch (error) {
    ctx.logger.warn(`remote logger ${p.loggerURL} not used: ${(error as Error).message}; the log stays in pilot.log`);
    return null;
  }
  const shipper = createPilotLogShipper({
    send: (lines) => remote.sendMessage(lines.map((line) => `${formatRemoteLogLine(line)}\n`).join('')),
    batchLines: p.remoteLoggerBufsize,
    intervalMs: p.remoteLoggerTimerInterval * 1000,
    scope: 'Pilot',
    isPermanent: (error) => error instanceof PilotError && PERMANENT.has(error.exitCode),
    onGiveUp: (error) => ctx.logger.warn(`remote logger ${p.loggerURL} stopped: ${(error as Error).message}; the log stays in pilot.log`),
  });
  addLogDestination(ctx.logger, shipper, p.debug ? 'debug' : 'info');
  ctx.logger.info(`remote logger activated: ${p.loggerURL}`);
  return {
    async finish(exitCode) {
      try {
        const finished = once(shipper, 'finish').then(
          () => true,
          () => false,
        );
        shipper.end();
        await within(finished, FINISH_BUDGET_MS);
        // A service that took the last lines gets the end; one that did not is not asked again.
        if (!shipper.stopped && shipper.stats().buffered === 0) await within(remote.finaliseLogs(exitCode), FINISH_BUDGET_MS);
      } catch (error) {
        ctx.logger.warn(`remote logger ${p.loggerURL}: logs not finalised: ${(error as Error).message}`);
      } finally {
        await remote.close().catch(() => undefined);
      }
    },
  };
}

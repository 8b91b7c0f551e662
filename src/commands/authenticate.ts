import path from 'node:path';
import type { PilotCommand, PilotContext } from '../pilot/context.js';
import type { Backend } from '../backend/types.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { createDiracxBackend, readServerTime } from '../diracx/index.js';
import { addLogDestination } from '../core/logger.js';
import { hostCertificateDir, hostCredentialFile } from '../pilot/dirac-options.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { lifetimeDeadline, voOf } from './wiring.js';
import { STOP_REPORT_MS } from '../pilot/signals.js';
import { composeMixedBackend } from './mixed-backend.js';
import type { DiracBackend, DiracxSettings } from '../dirac/index.js';

/** Connects to the configured workload manager with the pilot's credentials. */
export async function connectBackend(ctx: PilotContext): Promise<Backend> {
  const p = ctx.params;
  if (p.useServerCertificate && p.backend !== 'dirac') {
    // (Mixed mode needs the DIRACX block of a proxy: a host certificate has none.)
    throw new PilotError(ExitCode.CONFIG, '-c/--cert: a host certificate authenticates to legacy DIRAC only (--backend dirac)');
  }
  if (p.backend === 'dirac' || p.backend === 'dirac+diracx') {
    const proxyPath = p.useServerCertificate ? hostCredentials(ctx) : (p.proxyFile ?? ctx.env.X509_USER_PROXY);
    const caDir = p.caPath ?? ctx.env.X509_CERT_DIR;
    if (!proxyPath) throw new PilotError(ExitCode.CREDENTIALS, '--backend dirac needs a pilot proxy: --proxy or X509_USER_PROXY');
    if (!caDir) throw new PilotError(ExitCode.TLS, '--backend dirac needs a CA directory: --ca-path or X509_CERT_DIR');
    if (p.configurationServers.length === 0 && !p.gateway)
      throw new PilotError(
        ExitCode.CONFIG,
        '--backend dirac needs configuration servers: -C/--configurationServer or pilot.json ConfigurationServers',
      );
    // Loaded only for legacy DIRAC: its X.509 stack is the heaviest part of the bundle.
    const { createDiracBackend } = await import('../dirac/index.js');
    const legacy = await createDiracBackend({
      proxyPath,
      caDir,
      csUrls: p.configurationServers,
      vo: voOf(ctx),
      ...(p.setup ? { setup: p.setup } : {}),
      releaseVersion: p.releaseVersion,
      site: p.site,
      gridCE: p.ce,
      ceQueue: p.queue,
      // The payload proxies' own directory: each payload's view shows its own entry alone (job-wrapper's
      // private areas); <work>/proxies holds the pilot's host credential (-c), hidden from all.
      workDir: path.join(ctx.workDir, 'payload-proxies'),
      logger: ctx.logger,
      ...(p.gateway ? { gateway: p.gateway } : {}),
      ...(p.useServerCertificate ? { hostCertificate: true } : {}),
      stop: ctx.shutdown,
      stopReportMs: STOP_REPORT_MS,
    });
    const settings = legacy.diracxSettings();
    // As v9's ClientSelector: the CS decides per service; --backend dirac+diracx insists on it.
    if (p.backend === 'dirac' && !settings.jobStateUpdate) return legacy;
    try {
      return await connectMixed(ctx, legacy, settings, proxyPath);
    } catch (error) {
      await legacy.close().catch(() => undefined);
      throw error;
    }
  }
  if (!p.diracxUrl) {
    throw new PilotError(ExitCode.CONFIG, 'no DiracX server configured: set --diracx-url or DIRACX_URL');
  }
  const deadline = lifetimeDeadline(ctx);
  const proxyFile = p.proxyFile ?? (!p.credentialsFile && !p.pilotSecretFile && !p.pilotSecret ? ctx.env.X509_USER_PROXY : undefined);
  return createDiracxBackend({
    url: p.diracxUrl,
    ...(p.caPath ? { caPath: p.caPath } : ctx.env.X509_CERT_DIR ? { caPath: ctx.env.X509_CERT_DIR } : {}),
    insecure: p.insecure,
    credentials: {
      ...(p.credentialsFile ? { file: p.credentialsFile } : {}),
      // As the DIRAC pilot (PR #248): without a secret, the DIRACX block of the proxy, X509_USER_PROXY included.
      ...(proxyFile ? { proxyFile } : {}),
      ...(p.pilotSecretFile || p.pilotSecret
        ? {
            secretExchange: {
              pilotStamp: ctx.pilotStamp,
              ...(p.pilotSecretFile ? { secretFile: p.pilotSecretFile } : { secret: p.pilotSecret }),
              // Said on a second try after a 401, for a pilot no SiteDirector registered.
              vacuum: { vo: p.vo ?? 'unknown', gridType: p.gridCEType, gridSite: p.site },
            },
          }
        : {}),
    },
    pilotStamp: ctx.pilotStamp,
    ...(p.clientId ? { clientId: p.clientId } : {}),
    matchPath: p.matchPath,
    spoolDir: path.join(ctx.workDir, 'spool'),
    logger: ctx.logger,
    ...(deadline ? { deadline } : {}),
    stop: ctx.shutdown,
    stopReportMs: STOP_REPORT_MS,
  });
}

/**
 * DIRAC v9 with DiracX enabled for the VO: the legacy backend for what v9 keeps on DIRAC, the
 * DiracX backend (at the CS's /DiracX/URL, or --diracx-url) for JobStateUpdate, with the pilot's
 * DiracX token taken from the proxy's DIRACX block (mixed-backend.ts says which call goes where).
 * A block that is missing, unreadable or no longer refreshable stops the pilot here, before any
 * match: no job is taken that the pilot could not report.
 */
async function connectMixed(ctx: PilotContext, legacy: DiracBackend, settings: DiracxSettings, proxyPath: string): Promise<Backend> {
  const p = ctx.params;
  const url = p.diracxUrl ?? settings.url;
  if (!url) {
    throw new PilotError(ExitCode.CONFIG, `--backend ${p.backend}: the CS has no /DiracX/URL and no --diracx-url was given`);
  }
  if (settings.voDisabled) {
    ctx.logger.warn(
      `the CS lists VO ${voOf(ctx)} in /DiracX/DisabledVOs, yet sends JobStateUpdate to DiracX (v9 does the same: DIRAC#7346)`,
    );
  }
  const deadline = lifetimeDeadline(ctx);
  const caPath = p.caPath ?? ctx.env.X509_CERT_DIR;
  const diracx = await createDiracxBackend({
    url,
    ...(caPath ? { caPath } : {}),
    insecure: p.insecure,
    credentials: { proxyFile: proxyPath },
    pilotStamp: ctx.pilotStamp,
    ...(p.clientId ? { clientId: p.clientId } : {}),
    spoolDir: path.join(ctx.workDir, 'spool'),
    logger: ctx.logger,
    ...(deadline ? { deadline } : {}),
    stop: ctx.shutdown,
    stopReportMs: STOP_REPORT_MS,
  });
  try {
    await diracx.checkCredentials();
  } catch (error) {
    await diracx.close().catch(() => undefined);
    throw error;
  }
  ctx.logger.info(
    { diracx: url },
    'DIRAC v9 with DiracX: job statuses, parameters and heartbeats to DiracX; match, reschedule, sandboxes, pilot status to DIRAC',
  );
  const mixed = composeMixedBackend(legacy, diracx);
  // The legacy backend's own Rescheduled (a payload proxy it could not get) goes to DiracX too.
  legacy.routeJobStatuses((jobId, update) => mixed.setJobStatus(jobId, update));
  return mixed;
}

/** The DiracX server's clock from an unauthenticated reply (no credentials needed); null if unreadable. */
export async function readServerClock(ctx: PilotContext): Promise<Date | null> {
  const p = ctx.params;
  if (!p.diracxUrl) return null;
  const caPath = p.caPath ?? ctx.env.X509_CERT_DIR;
  return readServerTime({ url: p.diracxUrl, ...(caPath ? { caPath } : {}), insecure: p.insecure });
}

/** Obtains a token (file, proxy or secret exchange) and opens the connection to the server. */
export const authenticate: PilotCommand = {
  name: 'authenticate',
  description: 'load credentials and connect to DiracX (or legacy DIRAC)',
  async run(ctx) {
    if (ctx.backend) return;
    const backend = await connectBackend(ctx);
    ctx.backend = backend;
    // -z/--pilotLogging: pilot log lines to the server too, where it takes them (DiracX proposal, docs/diracx.md),
    // unless -g names DIRAC's remote logger, which then gets them (remote-logging.ts).
    if (ctx.params.pilotLogging && !ctx.params.loggerURL && backend.createPilotLogShipper)
      addLogDestination(ctx.logger, backend.createPilotLogShipper({ scope: 'pilot' }));
    // The VO, when not given, now comes from the pilot's credentials (voOf in wiring.ts).
    ctx.logger.info({ backend: backend.kind, vo: voOf(ctx) }, 'connected');
  },
};

/**
 * -c/--cert: DIRAC's pilot then talks to its services with the host certificate and key
 * (hostcert.pem, hostkey.pem under -K/--certLocation). They are joined into one credential file,
 * mode 0600, hidden from payloads like every pilot credential (session.ts).
 */
function hostCredentials(ctx: PilotContext): string {
  const dir = hostCertificateDir(ctx.params, ctx.workDir);
  const read = (name: string): string => {
    try {
      return readFileSync(path.join(dir, name), 'utf8');
    } catch (error) {
      throw new PilotError(
        ExitCode.CREDENTIALS,
        `-c/--cert: cannot read ${path.join(dir, name)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  };
  const file = hostCredentialFile(ctx.workDir);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${read('hostcert.pem').trimEnd()}\n${read('hostkey.pem').trimEnd()}\n`, { mode: 0o600 });
  return file;
}

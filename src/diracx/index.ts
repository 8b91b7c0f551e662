import { statSync } from 'node:fs';
import { silentLogger, type Logger } from '../core/logger.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { DiracxBackend } from './backend.js';
import { loadPilotCredentials, type DiracxCredentialOptions } from './credentials/load.js';
import { DEFAULT_CLIENT_ID, refreshGrant } from './credentials/refresh-grant.js';
import { TokenManager } from './credentials/token-manager.js';
import { HttpClient } from './http/client.js';
import { DiracxConnection, type StopSignals } from './http/connection.js';
import { DEFAULT_RETRY, type RetryPolicy } from './http/retry.js';
import { loadTrustedCas, storageCas } from './http/tls.js';
import { StatusSpool } from './jobs/status-spool.js';
import { DEFAULT_MATCH_PATH } from './match.js';

export interface DiracxBackendOptions {
  /** Server base URL, e.g. `https://diracx.example.org:8000`. */
  url: string;
  /** A grid CA directory or a PEM bundle file (told apart by what is on disk). */
  caPath?: string;
  caDir?: string;
  caFile?: string;
  /** Development only: skip TLS verification (logged as a warning at every start). */
  insecure?: boolean;
  credentials: DiracxCredentialOptions;
  /** OAuth client id for the refresh grant. */
  clientId?: string;
  /** Path of the provisional match endpoint. */
  matchPath?: string;
  /** Undelivered status updates are spooled here (and picked up by the next pilot). */
  spoolDir?: string;
  logger?: Logger;
  /** End of the pilot's lifetime (epoch ms, Date, or a function of now): nothing retries past it. */
  deadline?: number | Date | (() => number);
  /**
   * The pilot's stop signal: calls that only serve taking work (matching, registration,
   * transfers, heartbeats) end at once; reporting calls go on for `stopReportMs` more, then end,
   * and what is undelivered is spooled.
   */
  stop?: AbortSignal;
  /** How long reporting may go on after the stop signal (default 15 s). */
  stopReportMs?: number;
  /** Known stamp for pilot metadata when registerPilot() is not called; also names the pilot in User-Agent. */
  pilotStamp?: string;
  /** User-Agent of every request; default `Dirac Pilot [<stamp>]` as the DIRAC pilot sends (PR #248). */
  userAgent?: string;
  retry?: Partial<Omit<RetryPolicy, 'deadline'>>;
  /** How long flush()/close() keep trying before spooling (default 2 min). */
  flushBudgetMs?: number;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  /** Longest one API request may take, start to last byte (default 90 s). */
  requestTimeoutMs?: number;
  /** Longest one sandbox transfer may take (default 30 min). */
  transferTimeoutMs?: number;
  /** Minimum spacing of two heartbeats of one job (default 1.1 s; DiracX needs > 1 s). */
  heartbeatMinIntervalMs?: number;
  now?: () => number;
}

function resolveTrust(options: Pick<DiracxBackendOptions, 'caPath' | 'caDir' | 'caFile'>): { caDir?: string; caFile?: string } {
  const trust: { caDir?: string; caFile?: string } = {};
  if (options.caDir) trust.caDir = options.caDir;
  if (options.caFile) trust.caFile = options.caFile;
  if (options.caPath) {
    let isDir: boolean;
    try {
      isDir = statSync(options.caPath).isDirectory();
    } catch (error) {
      throw new PilotError(ExitCode.TLS, `CA path ${options.caPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (isDir) trust.caDir ??= options.caPath;
    else trust.caFile ??= options.caPath;
  }
  return trust;
}

/**
 * The two signals a connection needs (http/connection.ts, StopSignals): `abandon` is the stop
 * signal itself; `report` follows it `reportMs` later.
 */
function stopSignals(stop: AbortSignal, reportMs: number, now: () => number): { signals: StopSignals; reportEnd: () => number } {
  const report = new AbortController();
  let reportEnd = Number.POSITIVE_INFINITY;
  const arm = () => {
    reportEnd = now() + reportMs;
    setTimeout(() => report.abort(new Error(`reporting time after the stop signal (${reportMs} ms) is over`)), reportMs).unref();
  };
  if (stop.aborted) arm();
  else stop.addEventListener('abort', arm, { once: true });
  return { signals: { abandon: stop, report: report.signal }, reportEnd: () => reportEnd };
}

/** localhost, 127.0.0.0/8 and ::1: the only hosts a plain-HTTP DiracX URL may name without --insecure. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function deadlineFunction(deadline: DiracxBackendOptions['deadline']): () => number {
  if (deadline === undefined) return () => Number.POSITIVE_INFINITY;
  if (typeof deadline === 'function') return deadline;
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return () => at;
}

/**
 * Connect to DiracX: trust, credentials (refreshed when due), and delivery of any status updates
 * a previous pilot left in the spool directory, before anything else is sent.
 */
export async function createDiracxBackend(options: DiracxBackendOptions): Promise<DiracxBackend> {
  const logger = options.logger ?? silentLogger();
  const now = options.now ?? Date.now;
  let baseUrl: URL;
  try {
    baseUrl = new URL(options.url);
  } catch {
    throw new PilotError(ExitCode.CONFIG, `DiracX URL ${JSON.stringify(options.url)} is not a URL`);
  }
  if (baseUrl.protocol !== 'https:' && baseUrl.protocol !== 'http:') {
    throw new PilotError(ExitCode.CONFIG, `DiracX URL ${options.url} must be http(s)`);
  }
  if (baseUrl.protocol === 'http:') {
    // The pilot's bearer token would cross the network in clear: only loopback, or an explicit --insecure.
    if (!isLoopbackHost(baseUrl.hostname) && !options.insecure) {
      throw new PilotError(
        ExitCode.USAGE,
        `DiracX URL ${baseUrl.origin} is plain HTTP to a host that is not loopback: tokens would travel in clear; use https:// (or --insecure, development only)`,
      );
    }
    logger.warn(
      `DiracX URL ${baseUrl.origin} is plain HTTP: tokens travel unencrypted${isLoopbackHost(baseUrl.hostname) ? ' (allowed on loopback)' : ' (--insecure)'}`,
    );
  } else if (options.insecure) {
    logger.warn(
      "TLS VERIFICATION DISABLED (--insecure): any server can impersonate DiracX and receive the pilot's tokens. Development only.",
    );
  }
  const ca = options.insecure ? undefined : loadTrustedCas(resolveTrust(options));
  const stamp = options.pilotStamp ?? options.credentials.secretExchange?.pilotStamp;
  const http = new HttpClient({
    baseUrl: options.url,
    userAgent: options.userAgent ?? `Dirac Pilot [${stamp ?? 'Unknown ID'}]`,
    ...(ca ? { ca, storageCa: storageCas(ca)! } : {}),
    insecure: options.insecure === true,
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.readTimeoutMs !== undefined ? { readTimeoutMs: options.readTimeoutMs } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.transferTimeoutMs !== undefined ? { transferTimeoutMs: options.transferTimeoutMs } : {}),
  });
  const stop = options.stop ? stopSignals(options.stop, options.stopReportMs ?? 15_000, now) : null;
  const lifetime = deadlineFunction(options.deadline);
  // Nothing is retried past the pilot's lifetime, nor past the reporting time after a stop signal.
  const deadline = stop ? () => Math.min(lifetime(), stop.reportEnd()) : lifetime;
  const connection = new DiracxConnection(
    http,
    {
      ...DEFAULT_RETRY,
      ...options.retry,
      deadline,
      now,
      // One warning when a call starts retrying, naming what failed; each further attempt at debug level.
      onRetry: ({ endpoint, attempt, delayMs, reason }) =>
        (attempt === 1 ? logger.warn.bind(logger) : logger.debug.bind(logger))(
          { endpoint, attempt, delayMs, reason },
          `${endpoint} failed (${reason}); retrying in ${delayMs} ms`,
        ),
    },
    stop?.signals ?? null,
  );
  try {
    const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    const loaded = await loadPilotCredentials(options.credentials, connection, logger);
    logger.info(`DiracX ${baseUrl.origin}: credentials from ${loaded.origin}`);
    const pilotTokens = new TokenManager(loaded.tokens, {
      label: 'pilot',
      refresher: refreshGrant(connection, clientId, now),
      ...(loaded.save ? { save: loaded.save } : {}),
      logger,
      now,
    });
    const backend = new DiracxBackend({
      connection,
      pilotTokens,
      clientId,
      matchPath: options.matchPath ?? DEFAULT_MATCH_PATH,
      spool: options.spoolDir ? new StatusSpool(options.spoolDir, logger) : null,
      logger,
      pilotStamp: stamp ?? null,
      revokeAtClose: loaded.exchanged === true,
      flushBudgetMs: options.flushBudgetMs ?? 120_000,
      deadline,
      ...(options.heartbeatMinIntervalMs !== undefined ? { heartbeatMinIntervalMs: options.heartbeatMinIntervalMs } : {}),
      now,
    });
    await backend.deliverSpooled();
    return backend;
  } catch (error) {
    await http.close();
    throw error;
  }
}

/**
 * The server's clock without credentials: the Date header of an unauthenticated call (the OpenID
 * discovery document), for `pilot check` on a node that holds only the server URL. Same trust
 * and plain-HTTP rules as a connection; null when the server cannot be read.
 */
export async function readServerTime(
  options: Pick<DiracxBackendOptions, 'url' | 'caPath' | 'insecure' | 'connectTimeoutMs' | 'readTimeoutMs'>,
): Promise<Date | null> {
  const baseUrl = new URL(options.url);
  if (baseUrl.protocol === 'http:' && !isLoopbackHost(baseUrl.hostname) && !options.insecure) {
    throw new PilotError(
      ExitCode.USAGE,
      `DiracX URL ${baseUrl.origin} is plain HTTP to a host that is not loopback: use https:// (or --insecure, development only)`,
    );
  }
  const ca = options.insecure ? undefined : loadTrustedCas(resolveTrust(options));
  const http = new HttpClient({
    baseUrl: options.url,
    ...(ca ? { ca } : {}),
    insecure: options.insecure === true,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    readTimeoutMs: options.readTimeoutMs ?? 10_000,
  });
  try {
    await http.send({ method: 'GET', target: '/.well-known/openid-configuration' });
    return http.lastServerDate;
  } catch {
    return null;
  } finally {
    await http.close();
  }
}

export { DiracxBackend } from './backend.js';
export type { DiracxCredentialOptions, SecretExchangeOptions } from './credentials/load.js';
export type { TokenSet } from './credentials/token-set.js';
export { createPilotLogShipper, PilotLogShipper, type PilotLogLine, type PilotLogShipperOptions } from './logs/pilot-log-shipper.js';
export { DiracxHttpError } from './http/reply.js';
export { DEFAULT_MATCH_PATH } from './match.js';

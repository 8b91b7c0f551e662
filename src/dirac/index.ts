/**
 * Legacy DIRAC v9 backend, chosen with `--backend dirac`: loads the pilot proxy and CAs, fetches
 * the CS (getCompressedData), checks the pilot version against Operations, and returns a Backend.
 */
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { DiracBackend } from './backend.js';
import type { CfgSection } from './cs/cfg.js';
import { checkPilotVersion, decodeCompressedCfg } from './cs/config.js';
import type { WireEncoding } from './dips/frames.js';
import type { TlsCredentials } from './dips/tls.js';
import { expectOk } from './result.js';
import { gatewayUrl, ServiceCaller } from './services.js';
import { loadCaDirectory } from './x509/ca-dir.js';
import { assertProxyValid, loadProxyFile } from './x509/proxy-file.js';

export { DiracBackend } from './backend.js';
export type { DiracxSettings } from './cs/diracx-section.js';

export interface DiracBackendOptions {
  /** The pilot proxy (X509_USER_PROXY): proxy certificate, key, chain. */
  proxyPath: string;
  /** Trust anchors (X509_CERT_DIR). */
  caDir: string;
  /** Configuration servers (/DIRAC/Configuration/Servers), dips:// or https://. */
  csUrls: string[];
  vo: string;
  /** v8 Setup; v9 has none (sent as-is in DIPS proposals). */
  setup?: string;
  /** Release the pilot reports (ReleaseVersion, and the DIPS client version). */
  releaseVersion: string;
  site: string;
  gridCE: string;
  ceQueue: string;
  /** Directory for payload proxies (0700, files 0600). */
  workDir: string;
  timeoutMs?: number;
  /** Seconds asked of ProxyManager for payload proxies (default 24 h). */
  payloadProxyLifetime?: number;
  /** addPilotReferences at registration (self-started pilots only). */
  selfRegister?: boolean;
  /** DIPS encoding to send: JSON (v9 default) or DEncode (v8 servers). Replies are read either way. */
  encoding?: WireEncoding;
  /** Skip the up-front Operations Pilot/Version check (the Matcher still applies its own). */
  skipVersionCheck?: boolean;
  /**
   * The pilot's stop signal: `stopReportMs` later (default 15 s) every call still in flight ends,
   * so reporting to a dead server cannot hold the pilot past its grace.
   */
  stop?: AbortSignal;
  stopReportMs?: number;
  logger?: Logger;
  /** DIRAC pilot -W: every call goes through this DIRAC gateway. */
  gateway?: string;
  /** DIRAC pilot -c: the credentials are a host certificate (DIPS says so with extraCredentials "hosts"). */
  hostCertificate?: boolean;
}

/** Aborted `reportMs` after `stop`: when calls to the legacy services must end. */
function reportDeadline(stop: AbortSignal, reportMs: number): AbortSignal {
  const deadline = new AbortController();
  const arm = () =>
    setTimeout(() => deadline.abort(new Error(`reporting time after the stop signal (${reportMs} ms) is over`)), reportMs).unref();
  if (stop.aborted) arm();
  else stop.addEventListener('abort', arm, { once: true });
  return deadline.signal;
}

export async function createDiracBackend(options: DiracBackendOptions): Promise<DiracBackend> {
  const logger = options.logger ?? silentLogger();
  const proxy = await loadProxyFile(options.proxyPath);
  assertProxyValid(proxy, new Date(), 60);
  const ca = await loadCaDirectory(options.caDir);
  if (ca.skipped.length > 0) logger.warn({ skipped: ca.skipped }, `CA directory ${options.caDir}: ${ca.skipped.length} file(s) skipped`);
  const credentials: TlsCredentials = { proxy, ca: ca.pems };
  const callerOptions = {
    credentials,
    setup: options.setup ?? '',
    vo: options.vo,
    clientVersion: options.releaseVersion,
    timeoutMs: options.timeoutMs,
    encoding: options.encoding,
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.hostCertificate ? { extraCredentials: 'hosts' } : {}),
    ...(options.stop ? { signal: reportDeadline(options.stop, options.stopReportMs ?? 15_000) } : {}),
  };
  const cfg = await fetchConfiguration(new ServiceCaller(callerOptions, () => undefined), options.csUrls);
  if (!options.skipVersionCheck) {
    const problem = checkPilotVersion(cfg, options.vo, options.releaseVersion, options.setup);
    if (problem) throw new PilotError(ExitCode.CONFIG, problem);
  }
  logger.info({ identity: proxy.identityDN, proxyValidUntil: proxy.notAfter.toISOString() }, 'legacy DIRAC backend ready');
  return new DiracBackend({
    caller: callerOptions,
    cfg,
    workDir: options.workDir,
    vo: options.vo,
    site: options.site,
    gridCE: options.gridCE,
    ceQueue: options.ceQueue,
    payloadProxyLifetime: options.payloadProxyLifetime ?? 86_400,
    selfRegister: options.selfRegister ?? false,
    caDir: options.caDir,
    logger,
  });
}

/** Configuration.getCompressedData from the first reachable server. */
async function fetchConfiguration(caller: ServiceCaller, csUrls: readonly string[]): Promise<CfgSection> {
  if (csUrls.length === 0) throw new PilotError(ExitCode.CONFIG, 'no Configuration server URL given');
  const urls = caller.options.gateway
    ? [gatewayUrl(caller.options.gateway, 'Configuration/Server')]
    : csUrls.map((text) => {
        let url: URL;
        try {
          url = new URL(text);
        } catch {
          throw new PilotError(ExitCode.CONFIG, `Configuration server URL is not a URL: ${JSON.stringify(text)}`);
        }
        if (url.protocol !== 'dips:' && url.protocol !== 'https:')
          throw new PilotError(ExitCode.CONFIG, `Configuration server ${text}: only dips:// and https:// are supported`);
        return { protocol: url.protocol === 'dips:' ? ('dips' as const) : ('https' as const), url };
      });
  try {
    const value = expectOk(await caller.callUrls(urls, 'getCompressedData', []), 'Configuration.getCompressedData');
    try {
      return decodeCompressedCfg(value);
    } catch (error) {
      throw new PilotError(ExitCode.SERVER_PROTOCOL, (error as Error).message);
    }
  } finally {
    await caller.close();
  }
}

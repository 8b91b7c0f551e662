/**
 * Calls a DIRAC service by its CS name, over DIPS or HTTPS as the CS URL says, trying the next
 * URL only when one is unreachable (a business error from a reachable server is final).
 */
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { PyValue } from './codec/index.js';
import { resolveServiceUrls, type ServiceUrl } from './cs/config.js';
import type { CfgSection } from './cs/cfg.js';
import { DipsClient, type DipsClientOptions } from './dips/client.js';
import { DiracHttpsClient } from './https-client.js';
import type { DiracResult } from './result.js';
import type { TlsCredentials } from './dips/tls.js';

export interface ServiceCallerOptions extends Omit<DipsClientOptions, 'credentials'> {
  credentials: TlsCredentials;
  /** A DIRAC gateway (DIRAC pilot -W): every service is called as `<gateway>/<System/Service>`. */
  gateway?: string;
}

/** The URL of a service behind a DIRAC gateway (always DIPS). */
export function gatewayUrl(gateway: string, service: string): ServiceUrl {
  let url: URL;
  try {
    url = new URL(`${gateway.replace(/\/+$/, '')}/${service}`);
  } catch {
    throw new PilotError(ExitCode.CONFIG, `gateway ${JSON.stringify(gateway)} is not a URL`);
  }
  if (url.protocol !== 'dips:') throw new PilotError(ExitCode.CONFIG, `gateway ${gateway}: a DIRAC gateway is a dips:// URL`);
  return { protocol: 'dips', url };
}

export class ServiceCaller {
  readonly dips: DipsClient;
  readonly https: DiracHttpsClient;

  constructor(
    readonly options: ServiceCallerOptions,
    private readonly cfg: () => CfgSection | undefined,
  ) {
    this.dips = new DipsClient(options);
    this.https = new DiracHttpsClient({
      credentials: options.credentials,
      timeoutMs: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(typeof options.extraCredentials === 'string' && options.extraCredentials ? { extraCredentials: options.extraCredentials } : {}),
    });
  }

  /**
   * A dips:// URL the caller was given whole (a storage element's access point): behind a gateway
   * it goes through the gateway too, as DIRAC's BaseClient rewrites any dips:// URL to
   * `<gateway>/<path>`. Other URLs are left as they are (the gateway is DISET only).
   */
  viaGateway(url: URL): URL {
    if (!this.options.gateway || url.protocol !== 'dips:') return url;
    return gatewayUrl(this.options.gateway, url.pathname.replace(/^\/+/, '')).url;
  }

  urls(service: string): ServiceUrl[] {
    if (this.options.gateway) return [gatewayUrl(this.options.gateway, service)];
    const cfg = this.cfg();
    if (!cfg) throw new PilotError(ExitCode.INTERNAL, `CS not loaded before calling ${service}`);
    try {
      return resolveServiceUrls(cfg, service, this.options.setup);
    } catch (error) {
      throw new PilotError(ExitCode.CONFIG, (error as Error).message);
    }
  }

  /** Runs `method` on the first reachable URL of `service`. */
  async call(service: string, method: string, args: readonly PyValue[]): Promise<DiracResult> {
    return this.callUrls(this.urls(service), method, args);
  }

  async callUrls(urls: readonly ServiceUrl[], method: string, args: readonly PyValue[]): Promise<DiracResult> {
    let last: unknown;
    for (const { protocol, url } of urls) {
      try {
        return protocol === 'dips' ? await this.dips.call(url, method, args) : await this.https.call(url, method, args);
      } catch (error) {
        last = error;
        if (!(error instanceof PilotError) || error.exitCode !== ExitCode.SERVER_UNREACHABLE) throw error;
      }
    }
    throw last;
  }

  async close(): Promise<void> {
    await this.https.close();
  }
}

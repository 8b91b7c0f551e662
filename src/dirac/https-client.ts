/**
 * Client for DIRAC's HTTPS (Tornado) services: `POST https://host:8443/System/Service` with the
 * form fields `method` and `args` (a JEncode list), the proxy as client certificate. Replies are
 * JEncode results, possibly gzip-compressed; `rawContent=True` streams come back as octet-stream,
 * and their errors as JSON with HTTP 200, so the Content-Type decides.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { jdecode, jencode, type PyValue } from './codec/index.js';
import type { TlsCredentials } from './dips/tls.js';
import { assertProxyValid } from './x509/proxy-file.js';
import { classifySocketError, diagnoseRefusedTls } from './dips/tls.js';
import { parseDiracResult, type DiracResult } from './result.js';

export interface HttpsClientOptions {
  credentials: TlsCredentials;
  timeoutMs?: number;
  /** Aborted when every call must end now (the end of reporting after the pilot's stop signal). */
  signal?: AbortSignal;
  /** Largest JSON reply accepted (the CS dump is the big one). */
  maxReplyBytes?: number;
  /**
   * `"hosts"` with a host certificate (the pilot's -c): sent JEncoded as the form field
   * `extraCredentials`, as DIRAC's TornadoBaseClient does, or Tornado looks the host's DN up among
   * the users and refuses it.
   */
  extraCredentials?: string;
}

export class DiracHttpsClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxReplyBytes: number;
  /**
   * Servers that refused our proxy at the TLS layer (host:port → the error): they will refuse it
   * again, so later calls fail at once instead of each waiting out a connection attempt.
   */
  private readonly refused = new Map<string, PilotError>();
  /** Endpoints a side probe found accepting our proxy: no probe again. */
  private readonly accepted = new Set<string>();

  constructor(private readonly options: HttpsClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.maxReplyBytes = options.maxReplyBytes ?? 64 * 1024 * 1024;
    this.agent = new Agent({
      connect: {
        cert: options.credentials.proxy.certPem,
        key: options.credentials.proxy.keyPem,
        ca: [...options.credentials.ca],
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  private async post(url: URL, method: string, args: readonly PyValue[], raw: boolean) {
    assertProxyValid(this.options.credentials.proxy);
    const target = { host: url.hostname, port: Number(url.port || 443) };
    const endpoint = `${target.host}:${target.port}`;
    const refused = this.refused.get(endpoint);
    if (refused) throw new PilotError(ExitCode.TLS, `${refused.message} (refused before; not asked again)`);
    const form = new URLSearchParams({ method, args: jencode([...args]) });
    if (raw) form.set('rawContent', 'True');
    if (this.options.extraCredentials) form.set('extraCredentials', jencode(this.options.extraCredentials));
    // The first call to an endpoint runs a TLS probe beside it. A server that refuses the proxy
    // after a TLS 1.3 handshake (DIRAC's Tornado with M2Crypto lacking the allow-proxy flag) sends
    // an alert that the HTTP client never reports, and keeps the connection open: the call would
    // only time out. The probe sees the alert (or the close) and cuts the call short.
    const refusal = new AbortController();
    let probe: Promise<void> = Promise.resolve();
    if (!this.accepted.has(endpoint)) {
      probe = diagnoseRefusedTls(target, this.options.credentials)
        .then((error) => {
          if (error) {
            this.refused.set(endpoint, error);
            refusal.abort(error);
          } else {
            this.accepted.add(endpoint);
          }
        })
        .catch(() => undefined);
    }
    try {
      return await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-encoding': 'gzip' },
        signal: AbortSignal.any([
          AbortSignal.timeout(this.timeoutMs),
          refusal.signal,
          ...(this.options.signal ? [this.options.signal] : []),
        ]),
      });
    } catch (error) {
      const known = this.refused.get(endpoint);
      if (known) throw known;
      const cause = (error as { cause?: unknown }).cause ?? error;
      const classified = classifySocketError(cause, target);
      const code = (cause as { code?: unknown }).code;
      if (classified.exitCode === ExitCode.SERVER_UNREACHABLE && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE')) {
        // The request failed before the probe answered: wait for it.
        await probe;
        const refusedNow = this.refused.get(endpoint);
        if (refusedNow) throw refusedNow;
      }
      throw classified;
    }
  }

  private checkStatus(url: URL, method: string, status: number, body: string): void {
    if (status === 200) return;
    const what = `${url.pathname} ${method}: HTTP ${status}`;
    const detail = body.slice(0, 200).replace(/\s+/g, ' ');
    if (status === 401 || status === 403) throw new PilotError(ExitCode.AUTH_REFUSED, `${what} (credentials refused) ${detail}`);
    if (status === 501) throw new PilotError(ExitCode.SERVER_PROTOCOL, `${what} (method not exported by the service) ${detail}`);
    if (status >= 500) throw new PilotError(ExitCode.SERVER_PROTOCOL, `${what} (server error) ${detail}`);
    throw new PilotError(ExitCode.SERVER_PROTOCOL, `${what} ${detail}`);
  }

  private async readBody(url: URL, body: AsyncIterable<Buffer>, encoding: string | undefined): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > this.maxReplyBytes)
        throw new PilotError(ExitCode.SERVER_PROTOCOL, `${url.pathname}: reply larger than ${this.maxReplyBytes} bytes`);
      chunks.push(chunk);
    }
    const data = Buffer.concat(chunks);
    if (encoding?.toLowerCase() !== 'gzip') return data;
    try {
      return gunzipSync(data, { maxOutputLength: this.maxReplyBytes });
    } catch (error) {
      throw new PilotError(ExitCode.SERVER_PROTOCOL, `${url.pathname}: bad gzip reply (${(error as Error).message})`);
    }
  }

  /** Calls `method(...args)` and returns DIRAC's result. */
  async call(url: URL, method: string, args: readonly PyValue[]): Promise<DiracResult> {
    const response = await this.post(url, method, args, false);
    const encoding = headerValue(response.headers['content-encoding']);
    const body = await this.readBody(url, response.body, encoding);
    this.checkStatus(url, method, response.statusCode, body.toString('utf8'));
    let value: PyValue;
    try {
      value = jdecode(body.toString('utf8')).value;
    } catch (error) {
      throw new PilotError(ExitCode.SERVER_PROTOCOL, `${url.pathname} ${method}: reply is not JSON (${(error as Error).message})`);
    }
    return parseDiracResult(value, `${url.pathname} ${method}`);
  }

  /** A rawContent call streamed to `destFile` (written as .part, renamed when complete). */
  async download(url: URL, method: string, args: readonly PyValue[], destFile: string): Promise<DiracResult> {
    const response = await this.post(url, method, args, true);
    const type = headerValue(response.headers['content-type']) ?? '';
    const encoding = headerValue(response.headers['content-encoding']);
    if (response.statusCode !== 200 || !type.startsWith('application/octet-stream')) {
      const body = (await this.readBody(url, response.body, encoding)).toString('utf8');
      this.checkStatus(url, method, response.statusCode, body);
      try {
        return parseDiracResult(jdecode(body).value, `${url.pathname} ${method}`);
      } catch (error) {
        if (error instanceof PilotError) throw error;
        throw new PilotError(ExitCode.SERVER_PROTOCOL, `${url.pathname} ${method}: neither data nor a JSON result (${type})`);
      }
    }
    const partial = `${destFile}.part`;
    try {
      const sink = createWriteStream(partial, { mode: 0o600 });
      if (encoding?.toLowerCase() === 'gzip') await pipeline(response.body, createGunzip(), sink);
      else await pipeline(response.body, sink);
      await rename(partial, destFile);
    } catch (error) {
      await rm(partial, { force: true });
      throw error instanceof PilotError
        ? error
        : new PilotError(ExitCode.SERVER_PROTOCOL, `${url.pathname} ${method}: download failed (${(error as Error).message})`);
    }
    return { ok: true, value: null };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { MultipartBody } from './multipart.js';
import { classifyTransportError, TransportError } from './transport-error.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** A path under the server's base URL (`/api/jobs/status?force=false`) or an absolute URL. */
  target: string;
  json?: unknown;
  form?: Record<string, string>;
  /** Multipart body (multipart.ts); its boundary and length go into the headers. */
  multipart?: MultipartBody;
  /** Bearer token; omitted means no Authorization header at all. */
  bearer?: string;
  headers?: Record<string, string>;
  /**
   * Aborted: the request is destroyed at once, wherever it is (connecting, waiting, reading), and
   * fails with code ABORTED. The pilot's stop signal reaches every request this way.
   */
  signal?: AbortSignal;
  /**
   * Longest the whole exchange may take, connection to last byte, in ms (default: the client's
   * requestTimeoutMs, or transferTimeoutMs for a download or multipart upload). An idle-read
   * timeout alone lets a server that sends one byte every few seconds hold a request forever.
   */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface HttpClientOptions {
  baseUrl: string;
  /** CA certificates for the server; undefined means Node's bundled roots. */
  ca?: string[];
  /** CA certificates for presigned storage URLs (other hosts). */
  storageCa?: string[];
  /** Development only: accept any server certificate. */
  insecure?: boolean;
  connectTimeoutMs?: number;
  /** Longest wait for response headers and between body chunks. */
  readTimeoutMs?: number;
  /** Longest one API request may take from start to last byte (default 90 s). */
  requestTimeoutMs?: number;
  /** Longest one sandbox transfer may take from start to last byte (default 30 min). */
  transferTimeoutMs?: number;
  /** Most bytes a download may write (default 100 MiB, DiracX's own limit on a sandbox). */
  maxDownloadBytes?: number;
  userAgent?: string;
}

/** DiracX refuses to store a sandbox larger than this (its `max_sandbox_size`), so no honest download is longer. */
export const MAX_SANDBOX_BYTES = 100 * 1024 * 1024;

// API replies are small JSON documents; anything larger is a misbehaving server, not data.
const MAX_REPLY_BYTES = 16 * 1024 * 1024;

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
}

function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export { headerValue };

/** A socket-level failure with a code the classifier knows (transport-error.ts). */
function transportFault(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * The client's only door to the network: one keep-alive agent for the DiracX server and one per
 * protocol for presigned storage URLs, TLS verification on unless `insecure`. Transport failures
 * come out as classified TransportErrors; HTTP statuses come back as responses, the caller judges
 * them.
 *
 * Node's own http/https, not undici: undici parses HTTP with llhttp compiled to WebAssembly, and
 * loading and compiling it costs resident memory (its code, the wasm compiler's pages, the
 * module's heap) out of proportion to what the pilot needs to supervise its jobs (the figure:
 * docs/decisions/measurements.md; docs/reliability.md, "Memory"); Node's http uses the same
 * parser built in.
 */
export class HttpClient {
  readonly baseUrl: URL;
  private readonly serverAgent: http.Agent;
  private readonly storageAgents = new Map<string, http.Agent>();
  private readonly connectTimeoutMs: number;
  private readonly readTimeoutMs: number;
  readonly requestTimeoutMs: number;
  private readonly transferTimeoutMs: number;
  private readonly maxDownloadBytes: number;
  private readonly userAgent: string;
  private readonly verify: boolean;
  private readonly storageCa: string[] | undefined;
  /** The server's clock as of the last reply that carried a Date header. */
  lastServerDate: Date | null = null;

  constructor(options: HttpClientOptions) {
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.readTimeoutMs = options.readTimeoutMs ?? 60_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 90_000;
    this.transferTimeoutMs = options.transferTimeoutMs ?? 30 * 60_000;
    this.maxDownloadBytes = options.maxDownloadBytes ?? MAX_SANDBOX_BYTES;
    this.userAgent = options.userAgent ?? 'dirac-pilot-ts';
    this.verify = options.insecure !== true;
    this.storageCa = options.storageCa;
    this.serverAgent = this.newAgent(this.baseUrl.protocol, 8, options.ca);
  }

  private newAgent(protocol: string, maxSockets: number, ca: string[] | undefined): http.Agent {
    const common = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
    return protocol === 'https:'
      ? new https.Agent({ ...common, rejectUnauthorized: this.verify, ...(ca ? { ca } : {}) })
      : new http.Agent(common);
  }

  private agentFor(url: URL): http.Agent {
    if (this.isServerUrl(url)) return this.serverAgent;
    let agent = this.storageAgents.get(url.protocol);
    if (!agent) {
      agent = this.newAgent(url.protocol, 4, this.storageCa);
      this.storageAgents.set(url.protocol, agent);
    }
    return agent;
  }

  resolve(target: string): URL {
    if (/^https?:\/\//i.test(target)) return new URL(target);
    return new URL(target.replace(/^\//, ''), this.baseUrl);
  }

  private isServerUrl(url: URL): boolean {
    return url.origin === this.baseUrl.origin;
  }

  /**
   * Sends the request; resolves with the response once its headers are in. Errors are raw
   * (classified by the callers). `guard` gets the request as soon as it exists, so the overall
   * deadline and the abort signal can destroy it at any stage.
   */
  private dispatch(req: HttpRequest, url: URL, guard: (request: http.ClientRequest) => void): Promise<http.IncomingMessage> {
    const headers: Record<string, string | number> = { 'user-agent': this.userAgent, accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    } else if (req.multipart) {
      headers['content-type'] = req.multipart.contentType;
      headers['content-length'] = req.multipart.length;
    }
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    if (req.bearer !== undefined) headers.authorization = `Bearer ${req.bearer}`;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return Promise.reject(transportFault('ERR_INVALID_PROTOCOL', `unsupported protocol ${url.protocol}`));
    }
    const send = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const request = send(url, { method: req.method, headers, agent: this.agentFor(url) }, resolve);
      guard(request);
      // Stays attached after the response: a later socket error must not become an uncaught one.
      request.on('error', reject);
      request.setTimeout(this.readTimeoutMs, () => request.destroy(transportFault('READ_TIMEOUT', `no data for ${this.readTimeoutMs} ms`)));
      request.once('socket', (socket: Socket) => {
        // A fresh connection has this long to be established (TLS handshake included); a pooled one is already.
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => request.destroy(transportFault('CONNECT_TIMEOUT', `connect timeout after ${this.connectTimeoutMs} ms`)),
          this.connectTimeoutMs,
        );
        const connected = () => clearTimeout(timer);
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
        socket.once('close', connected);
      });
      if (req.multipart) {
        pipeline(req.multipart.open(), request).catch((error: unknown) => request.destroy(error as Error));
      } else {
        request.end(body);
      }
    });
  }

  private noteDate(headers: HttpResponse['headers']): void {
    const date = headerValue(headers, 'date');
    if (!date) return;
    const parsed = new Date(date);
    if (!Number.isNaN(parsed.getTime())) this.lastServerDate = parsed;
  }

  /**
   * Runs one exchange under its overall deadline and the caller's abort signal: either destroys
   * the request (and its response) wherever it stands. Throws TransportError only.
   */
  private async exchange<T>(req: HttpRequest, url: URL, timeoutMs: number, consume: (res: http.IncomingMessage) => Promise<T>): Promise<T> {
    const label = `${req.method} ${url.origin}${url.pathname}`;
    if (req.signal?.aborted)
      throw new TransportError('aborted', 'ABORTED', `${label}: abandoned before it was sent: ${abortReason(req.signal)}`);
    let request: http.ClientRequest | null = null;
    let stopped: Error | null = null;
    const stop = (error: Error) => {
      stopped ??= error;
      request?.destroy(error);
    };
    const timer = setTimeout(() => stop(transportFault('DEADLINE', `no complete reply within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => stop(transportFault('ABORTED', `abandoned: ${abortReason(req.signal!)}`));
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.dispatch(req, url, (created) => {
        request = created;
        if (stopped) created.destroy(stopped);
      });
      // A destroyed request does not always end its response's iteration: end it here too.
      res.once('error', () => undefined);
      const guardResponse = () => res.destroy(stopped ?? undefined);
      if (stopped) guardResponse();
      request!.once('close', () => stopped && guardResponse());
      return await consume(res);
    } catch (error) {
      const failure = stopped ?? error;
      if ((failure as { code?: string }).code === 'ABORTED')
        throw new TransportError('aborted', 'ABORTED', `${label}: ${(failure as Error).message}`, { cause: error });
      throw classifyTransportError(failure, label);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Send one request and buffer its reply. Throws TransportError only. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = this.resolve(req.target);
    const label = `${req.method} ${url.origin}${url.pathname}`;
    const timeoutMs = req.timeoutMs ?? (req.multipart ? this.transferTimeoutMs : this.requestTimeoutMs);
    return this.exchange(req, url, timeoutMs, async (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res) {
        size += (chunk as Buffer).length;
        if (size > MAX_REPLY_BYTES) {
          res.destroy();
          throw new TransportError('ambiguous', 'REPLY_TOO_LARGE', `${label}: reply larger than ${MAX_REPLY_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      const headers = res.headers as HttpResponse['headers'];
      if (this.isServerUrl(url)) this.noteDate(headers);
      return { status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) };
    });
  }

  /**
   * GET `url` into `destFile` without buffering it. 2xx streams to the file and returns the
   * status; other statuses return the buffered (small) error body. At most maxDownloadBytes are
   * written (a larger Content-Length is refused before a byte is); whatever fails, the partial
   * file is removed before this returns or throws.
   */
  async download(req: HttpRequest, destFile: string): Promise<HttpResponse> {
    const url = this.resolve(req.target);
    const label = `${req.method} ${url.origin}${url.pathname}`;
    const cap = this.maxDownloadBytes;
    try {
      return await this.exchange(req, url, req.timeoutMs ?? this.transferTimeoutMs, async (res) => {
        const headers = res.headers as HttpResponse['headers'];
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of res) {
            if (size < 64 * 1024) chunks.push(chunk as Buffer);
            size += (chunk as Buffer).length;
            if (size > cap) break;
          }
          res.destroy();
          return { status, headers, body: Buffer.concat(chunks).subarray(0, 64 * 1024) };
        }
        const declared = Number(headerValue(headers, 'content-length'));
        if (Number.isFinite(declared) && declared > cap) {
          res.destroy();
          throw new TransportError(
            'too-large',
            'DOWNLOAD_TOO_LARGE',
            `${label}: ${declared} bytes announced, more than the ${cap}-byte limit on a sandbox`,
          );
        }
        let written = 0;
        const capped = async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            written += chunk.length;
            if (written > cap)
              throw new TransportError(
                'too-large',
                'DOWNLOAD_TOO_LARGE',
                `${label}: reply went past the ${cap}-byte limit on a sandbox; stopped there`,
              );
            yield chunk;
          }
        };
        await pipeline(res, capped, createWriteStream(destFile, { mode: 0o600 }));
        return { status, headers, body: Buffer.alloc(0) };
      });
    } catch (error) {
      // A cut, capped, abandoned or failed download leaves nothing behind.
      await rm(destFile, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.serverAgent.destroy();
    for (const agent of this.storageAgents.values()) agent.destroy();
  }
}

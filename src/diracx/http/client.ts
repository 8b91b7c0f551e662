import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Agent, request, type Dispatcher, type FormData } from 'undici';
import { classifyTransportError, TransportError } from './transport-error.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** A path under the server's base URL (`/api/jobs/status?force=false`) or an absolute URL. */
  target: string;
  json?: unknown;
  form?: Record<string, string>;
  /** Multipart body; the client sets the boundary header. */
  multipart?: FormData;
  /** Bearer token; omitted means no Authorization header at all. */
  bearer?: string;
  headers?: Record<string, string>;
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
  userAgent?: string;
}

// API replies are small JSON documents; anything larger is a misbehaving server, not data.
const MAX_REPLY_BYTES = 16 * 1024 * 1024;

function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export { headerValue };

/**
 * The client's only door to the network: one keep-alive Agent for the DiracX server and one for
 * presigned storage URLs, TLS verification on unless `insecure`. Transport failures come out as
 * classified TransportErrors; HTTP statuses come back as responses, the caller judges them.
 */
export class HttpClient {
  readonly baseUrl: URL;
  private readonly serverAgent: Agent;
  private readonly storageAgent: Agent;
  private readonly readTimeoutMs: number;
  private readonly userAgent: string;
  /** The server's clock as of the last reply that carried a Date header. */
  lastServerDate: Date | null = null;

  constructor(options: HttpClientOptions) {
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.readTimeoutMs = options.readTimeoutMs ?? 60_000;
    this.userAgent = options.userAgent ?? 'dirac-pilot-ts';
    const connectTimeout = options.connectTimeoutMs ?? 15_000;
    const verify = options.insecure !== true;
    this.serverAgent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 8,
      connect: { timeout: connectTimeout, rejectUnauthorized: verify, ...(options.ca ? { ca: options.ca } : {}) },
    });
    this.storageAgent = new Agent({
      keepAliveTimeout: 10_000,
      connect: {
        timeout: connectTimeout,
        rejectUnauthorized: verify,
        ...(options.storageCa ? { ca: options.storageCa } : {}),
      },
    });
  }

  resolve(target: string): URL {
    if (/^https?:\/\//i.test(target)) return new URL(target);
    return new URL(target.replace(/^\//, ''), this.baseUrl);
  }

  private isServerUrl(url: URL): boolean {
    return url.origin === this.baseUrl.origin;
  }

  private dispatch(req: HttpRequest, url: URL): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: 'application/json', ...req.headers };
    let body: string | FormData | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    } else if (req.multipart) {
      body = req.multipart;
    }
    if (req.bearer !== undefined) headers.authorization = `Bearer ${req.bearer}`;
    return request(url, {
      method: req.method,
      headers,
      body,
      dispatcher: this.isServerUrl(url) ? this.serverAgent : this.storageAgent,
      headersTimeout: this.readTimeoutMs,
      bodyTimeout: this.readTimeoutMs,
    });
  }

  private noteDate(headers: HttpResponse['headers']): void {
    const date = headerValue(headers, 'date');
    if (!date) return;
    const parsed = new Date(date);
    if (!Number.isNaN(parsed.getTime())) this.lastServerDate = parsed;
  }

  /** Send one request and buffer its reply. Throws TransportError only. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = this.resolve(req.target);
    const label = `${req.method} ${url.origin}${url.pathname}`;
    try {
      const res = await this.dispatch(req, url);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_REPLY_BYTES) {
          res.body.destroy();
          throw new TransportError('ambiguous', 'REPLY_TOO_LARGE', `${label}: reply larger than ${MAX_REPLY_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      const headers = res.headers as HttpResponse['headers'];
      if (this.isServerUrl(url)) this.noteDate(headers);
      return { status: res.statusCode, headers, body: Buffer.concat(chunks) };
    } catch (error) {
      throw classifyTransportError(error, label);
    }
  }

  /**
   * GET `url` into `destFile` without buffering it. 2xx streams to the file and returns the
   * status; other statuses return the buffered (small) error body.
   */
  async download(req: HttpRequest, destFile: string): Promise<HttpResponse> {
    const url = this.resolve(req.target);
    const label = `${req.method} ${url.origin}${url.pathname}`;
    try {
      const res = await this.dispatch(req, url);
      const headers = res.headers as HttpResponse['headers'];
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const text = Buffer.from(await res.body.arrayBuffer());
        return { status: res.statusCode, headers, body: text.subarray(0, 64 * 1024) };
      }
      await pipeline(res.body, createWriteStream(destFile, { mode: 0o600 }));
      return { status: res.statusCode, headers, body: Buffer.alloc(0) };
    } catch (error) {
      throw classifyTransportError(error, label);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.serverAgent.close(), this.storageAgent.close()]);
  }
}

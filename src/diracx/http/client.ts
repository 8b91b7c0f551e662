import { createWriteStream } from 'node:fs';
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
 * loading and compiling it cost the pilot about 20 MB of resident memory (its code, the wasm
 * compiler's pages, the module's heap), a quarter of what the pilot needs to supervise 16 jobs
 * (docs/reliability.md, "Memory"); Node's http uses the same parser built in.
 */
export class HttpClient {
  readonly baseUrl: URL;
  private readonly serverAgent: http.Agent;
  private readonly storageAgents = new Map<string, http.Agent>();
  private readonly connectTimeoutMs: number;
  private readonly readTimeoutMs: number;
  private readonly userAgent: string;
  private readonly verify: boolean;
  private readonly storageCa: string[] | undefined;
  /** The server's clock as of the last reply that carried a Date header. */
  lastServerDate: Date | null = null;

  constructor(options: HttpClientOptions) {
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.readTimeoutMs = options.readTimeoutMs ?? 60_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
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

  /** Sends the request; resolves with the response once its headers are in. Errors are raw (classified by the callers). */
  private dispatch(req: HttpRequest, url: URL): Promise<http.IncomingMessage> {
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

  /** Send one request and buffer its reply. Throws TransportError only. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = this.resolve(req.target);
    const label = `${req.method} ${url.origin}${url.pathname}`;
    try {
      const res = await this.dispatch(req, url);
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
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res) {
          if (size < 64 * 1024) chunks.push(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
        return { status, headers, body: Buffer.concat(chunks).subarray(0, 64 * 1024) };
      }
      await pipeline(res, createWriteStream(destFile, { mode: 0o600 }));
      return { status, headers, body: Buffer.alloc(0) };
    } catch (error) {
      throw classifyTransportError(error, label);
    }
  }

  async close(): Promise<void> {
    this.serverAgent.destroy();
    for (const agent of this.storageAgents.values()) agent.destroy();
  }
}

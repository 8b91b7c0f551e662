/**
 * One HTTP/1.1 request and its reply over a TLS connection of its own (`Connection: close`), for
 * the pilot's storage downloads and checks (https.ts). The socket is read with `onread` into one
 * reused buffer: each decrypted TLS record (16 KiB) reaches the reply parser (http-reply.ts) with
 * no Buffer made for it and no stream between, and the body goes from there to its sink, which
 * copies it. Measured against undici for 512 MiB (docs/data.md): about half the client CPU.
 *
 * The job owner's proxy as client certificate, or a bearer token; the shutdown signal and the
 * no-progress timeout end the connection wherever it is (connecting, handshaking, in the body).
 */
import { isIP } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { DataError, asDataError } from '../errors.js';
import { ReplyParser, type ReplyHead } from './http-reply.js';

/** What one socket read may hand over (a TLS record is at most 16 KiB). */
const READ_BYTES = 64 * 1024;

export interface TlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
}

export interface ExchangeOptions {
  method: 'GET' | 'HEAD';
  url: URL;
  headers: Record<string, string>;
  tls: TlsOptions;
  signal: AbortSignal;
  /** No progress (connecting, handshaking, reading) for this long ends the exchange. */
  timeoutMs: number;
}

/** Where a reply's body goes. */
export interface BodySink {
  /** Takes (copies) `piece`, valid only during the call; false: hold the socket until `drained()`. May throw. */
  push(piece: Uint8Array): boolean;
  drained(): Promise<void>;
}

/** The method and URL (without its query: it may carry a token) in front of a problem. */
export function where(method: string, url: URL): string {
  return `${method} ${url.origin}${url.pathname}`;
}

/** A reply status that ends a transfer, as one DataError of the kind the job path acts on. */
export function statusError(method: string, url: string, status: number): DataError {
  const where = `${method} ${url.replace(/\?.*$/, '')}: HTTP ${status}`;
  if (status === 404) return new DataError('not-found', where);
  if (status === 401 || status === 403) return new DataError('denied', where);
  if (status === 507) return new DataError('no-space', where);
  if (status === 503 || status === 502 || status === 504) return new DataError('unreachable', where);
  return new DataError('other', where);
}

/** An error as one DataError line naming the exchange; AbortErrors stay AbortErrors. */
function named(error: unknown, method: string, url: URL): unknown {
  const e = error as NodeJS.ErrnoException;
  if (e?.name === 'AbortError') return error;
  const data = asDataError(error);
  const message = data.message.split('\n')[0];
  return new DataError(data.kind, `${where(method, url)}: ${message}`);
}

function requestHead(options: ExchangeOptions): string {
  const { url, method } = options;
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'User-Agent: dirac-pilot', 'Connection: close'];
  for (const [name, value] of Object.entries(options.headers)) {
    // A value is the pilot's (a token, a digest name): a line break in it would be a header of its own.
    if (/[\r\n]/.test(value) || /[\r\n:]/.test(name))
      throw new DataError('other', `${where(method, url)}: header ${name} holds a line break`);
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Sends the request, parses the reply; `onHead` decides what becomes of the body: a sink to take
 * it (the exchange ends once the body is whole), or null (the exchange ends at the head, the rest
 * unread). Resolves with the head; rejects with a DataError naming the exchange, or an AbortError.
 */
export function exchange(options: ExchangeOptions, onHead: (head: ReplyHead) => BodySink | null): Promise<ReplyHead> {
  const { method, url, signal } = options;
  return new Promise<ReplyHead>((resolve, reject) => {
    if (url.protocol !== 'https:') return reject(new DataError('other', `${where(method, url)}: not an https URL`));
    let request: string;
    try {
      request = requestHead(options);
    } catch (error) {
      return reject(error);
    }
    if (signal.aborted) return reject(abortError(signal));

    let settled = false;
    let sink: BodySink | null = null;
    let holding = false;
    let socket: TLSSocket | null = null;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket?.destroy();
      if (error !== undefined) reject(named(error, method, url));
      else resolve(parser.head!);
    };
    const onAbort = (): void => finish(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });

    const hold = (): void => {
      if (holding) return;
      holding = true;
      socket!.pause();
      sink!.drained().then(() => {
        holding = false;
        if (!settled) socket!.resume();
      }, finish);
    };
    const parser = new ReplyParser(method, {
      onHead(head) {
        sink = onHead(head);
        return sink !== null;
      },
      onBody(piece) {
        if (!sink!.push(piece)) hold();
      },
    });
    const onRead = (bytes: number, buffer: Uint8Array): boolean => {
      if (settled) return false;
      try {
        parser.feed(buffer.subarray(0, bytes));
      } catch (error) {
        finish(error);
        return false;
      }
      if (parser.done || (parser.head && sink === null)) finish();
      return !settled;
    };

    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // `onread` (net.Socket's, which tls.connect passes on) is missing from @types/node's TLS options.
    const connection: ConnectionOptions & { onread: { buffer: Uint8Array; callback: typeof onRead } } = {
      host,
      port: Number(url.port || 443),
      ...options.tls,
      onread: { buffer: Buffer.allocUnsafe(READ_BYTES), callback: onRead },
    };
    if (!isIP(host)) connection.servername = host;
    try {
      socket = connect(connection);
    } catch (error) {
      return finish(error);
    }
    socket.setTimeout(options.timeoutMs, () =>
      finish(Object.assign(new Error(`no progress for ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    socket.on('error', (error) => finish(error));
    // With onread the stream holds no data; flowing, it still reports the server's end.
    socket.on('end', () => {
      if (settled) return;
      try {
        parser.end();
      } catch (error) {
        return finish(error);
      }
      finish();
    });
    socket.on('close', () => {
      if (!settled) finish(new DataError('unreachable', 'the connection closed before the reply ended'));
    });
    socket.resume();
    socket.write(request);
  });
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', cause: signal.reason });
}

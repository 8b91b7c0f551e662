/**
 * https:// and davs:// storage (XrdHttp, dCache, StoRM, EOS) with undici: the job owner's proxy
 * as client certificate, or a bearer token; the body streamed straight to or from disk through
 * an Adler-32 summer, so memory stays flat whatever the file size; the pilot's shutdown signal
 * ends a transfer, even one still connecting. Each upload is checked afterwards: the size the
 * server holds, and its own Adler-32 where it gives one (RFC 3230 Want-Digest).
 *
 * Uploads go through node:https rather than undici: undici always writes `content-length` in
 * lower case, and XrdHttp 5.5 (Debian 12) only reads `Content-Length`: it stores an empty file
 * and answers 200. node:https keeps the header as written.
 */
import { request as httpsRequest } from 'node:https';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { sameAdler32 } from '../adler32.js';
import { DataError, asDataError } from '../errors.js';
import type { TransferCredentials } from '../types.js';
import { summing } from './file.js';
import { DoubleBufferedFile } from './summed-write.js';
import type { StorageProtocol, TransferOptions, TransferResult } from './transfer.js';
import { httpUrl } from './url.js';

/** IGTF layout: CA certificates as `*.0` or `*.pem`. */
async function loadCaDir(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => /\.(0|pem)$/.test(n)).sort();
  const texts = await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8').catch(() => '')));
  return texts.filter((t) => t.includes('BEGIN CERTIFICATE'));
}

interface TlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
}

async function tlsOptions(credentials: TransferCredentials): Promise<TlsOptions> {
  const tls: TlsOptions = {};
  if (credentials.ca) tls.ca = credentials.ca;
  else if (credentials.caDir) tls.ca = await loadCaDir(credentials.caDir);
  if (credentials.proxyPath) {
    // A proxy file holds the proxy certificate, its key and the chain: TLS takes it as both.
    const pem = await readFile(credentials.proxyPath, 'utf8');
    tls.cert = pem;
    tls.key = pem;
  }
  return tls;
}

/**
 * One agent per transfer, destroyed when the transfer ends or the signal aborts: undici does not
 * abandon a connection attempt on abort, destroying its agent does.
 */
async function withAgent<T>(options: TransferOptions, use: (agent: Agent) => Promise<T>): Promise<T> {
  const agent = new Agent({
    connect: { ...(await tlsOptions(options.credentials)), timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const onAbort = (): void => void agent.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' })).catch(() => undefined);
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    options.signal.throwIfAborted();
    return await use(agent);
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await agent.destroy().catch(() => undefined);
  }
}

function headers(credentials: TransferCredentials, extra: Record<string, string> = {}): Record<string, string> {
  return credentials.bearerToken ? { ...extra, authorization: `Bearer ${credentials.bearerToken}` } : extra;
}

function statusError(method: string, url: string, status: number): DataError {
  const where = `${method} ${url.replace(/\?.*$/, '')}: HTTP ${status}`;
  if (status === 404) return new DataError('not-found', where);
  if (status === 401 || status === 403) return new DataError('denied', where);
  if (status === 507) return new DataError('no-space', where);
  if (status === 503 || status === 502 || status === 504) return new DataError('unreachable', where);
  return new DataError('other', where);
}

/** What the server holds at `url`: its size, and its Adler-32 (`Digest: adler32=<hex>`) when it gives one. */
async function remoteFile(
  url: string,
  dispatcher: Dispatcher,
  options: TransferOptions,
): Promise<{ size: number; adler32: string | null }> {
  const res = await request(url, {
    method: 'HEAD',
    dispatcher,
    signal: options.signal,
    headers: headers(options.credentials, { 'want-digest': 'adler32' }),
  });
  await res.body.dump();
  if (res.statusCode !== 200) throw statusError('HEAD', url, res.statusCode);
  const size = Number(res.headers['content-length'] ?? NaN);
  const m = /(?:^|,)\s*adler32=([0-9a-fA-F]+)/.exec(String(res.headers.digest ?? ''));
  return { size, adler32: m ? m[1]!.toLowerCase() : null };
}

/**
 * GET `url` into `file` through undici's dispatcher: the body pieces (16 KiB, one per TLS record)
 * go from llhttp straight to the file's batches, with no body stream between (a stream's push,
 * read and events per piece cost more CPU than the sum: docs/data.md). Backpressure: returning
 * false from onData pauses the parser until the write in flight ends.
 */
function getInto(file: DoubleBufferedFile, url: string, dispatcher: Dispatcher, options: TransferOptions): Promise<void> {
  const { origin, pathname, search } = new URL(url);
  return new Promise<void>((resolve, reject) => {
    let status = 0;
    let failed = false;
    let abortRequest: ((reason: Error) => void) | null = null;
    let resume: (() => void) | null = null;
    let waiting: Promise<void> | null = null;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      options.signal.removeEventListener('abort', onAbort);
      abortRequest?.(error instanceof Error ? error : new Error(String(error)));
      reject(error);
    };
    const onAbort = (): void =>
      fail(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', cause: options.signal.reason }));
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    const waitThenTake = (chunk: Uint8Array, taken: boolean): void => {
      waiting = (async () => {
        try {
          await file.settle();
          if (!taken) while (!file.take(chunk)) await file.settle();
        } catch (error) {
          fail(error);
          return;
        } finally {
          waiting = null;
        }
        resume?.();
      })();
    };
    dispatcher.dispatch(
      { origin, path: pathname + search, method: 'GET', headers: headers(options.credentials) },
      {
        onConnect(abort) {
          abortRequest = abort;
          if (failed) abort(new Error('aborted'));
        },
        onHeaders(statusCode, _headers, resumeParser) {
          status = statusCode;
          resume = resumeParser;
          if (status !== 200) fail(statusError('GET', url, status));
          return true;
        },
        onData(chunk) {
          if (failed) return true;
          if (file.failed) {
            fail(file.failed);
            return true;
          }
          const taken = file.take(chunk);
          if (taken && !file.blocked) return true;
          waitThenTake(chunk, taken);
          return false;
        },
        onComplete() {
          void (waiting ?? Promise.resolve()).then(() => {
            if (failed) return;
            options.signal.removeEventListener('abort', onAbort);
            resolve();
          });
        },
        onError(error) {
          fail(error);
        },
      },
    );
  });
}

/** node:https PUT of a file, streamed; resolves with the status once the server answered. */
async function put(
  target: string,
  source: string,
  size: number,
  options: TransferOptions,
  through: NodeJS.ReadWriteStream,
): Promise<number> {
  const tls = await tlsOptions(options.credentials);
  let request: ReturnType<typeof httpsRequest> | undefined;
  const answered = new Promise<number>((resolve, reject) => {
    const req = httpsRequest(target, {
      method: 'PUT',
      ...tls,
      signal: options.signal,
      timeout: options.timeoutMs,
      headers: headers(options.credentials, { 'Content-Length': String(size), 'Content-Type': 'application/octet-stream' }),
    });
    request = req;
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no progress for ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
  });
  // The status is read once the body went out whole (and the summer has its sum) and the server answered.
  const [, status] = await Promise.all([pipeline(createReadStream(source), through, request!), answered]);
  return status;
}

export function httpsProtocol(): StorageProtocol {
  return {
    async download(url, dest, options): Promise<TransferResult> {
      const target = httpUrl(url);
      try {
        return await withAgent(options, async (dispatcher) => {
          const file = await DoubleBufferedFile.create(dest);
          try {
            await getInto(file, target, dispatcher, options);
            await file.finish();
            return { size: file.size, adler32: file.sum.hex() };
          } finally {
            await file.close();
          }
        });
      } catch (error) {
        // Only a file this call created is removed (wx above refuses to touch an existing one).
        if (!(error as NodeJS.ErrnoException)?.code?.startsWith('EEXIST')) await rm(dest, { force: true });
        throw asDataError(error);
      }
    },

    async upload(source, url, options): Promise<TransferResult> {
      const target = httpUrl(url);
      try {
        const size = (await stat(source)).size;
        const s = summing();
        const status = await put(target, source, size, options, s.stream);
        if (status < 200 || status >= 300) throw statusError('PUT', target, status);
        const sent = s.result();
        const stored = await withAgent(options, (dispatcher) => remoteFile(target, dispatcher, options));
        if (stored.size !== size) throw new DataError('corrupt', `PUT ${target}: the server holds ${stored.size} bytes, ${size} were sent`);
        if (stored.adler32 !== null && !sameAdler32(stored.adler32, sent.adler32!)) {
          throw new DataError('corrupt', `PUT ${target}: the server holds Adler-32 ${stored.adler32}, ${sent.adler32} was sent`);
        }
        return sent;
      } catch (error) {
        throw asDataError(error);
      }
    },
  };
}

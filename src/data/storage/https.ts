/**
 * https:// and davs:// storage (XrdHttp, dCache, StoRM, EOS): the job owner's proxy as client
 * certificate, or a bearer token; the body streamed straight to or from disk through an Adler-32
 * summer, so memory stays flat whatever the file size; the pilot's shutdown signal ends a
 * transfer, even one still connecting. Downloads and the checks after an upload go through the
 * pilot's own HTTP/1.1 exchange (https-exchange.ts: half undici's CPU per byte), following
 * redirects (dCache doors send GETs on to a pool); a large file of known size comes as two byte
 * ranges side by side (https-ranges.ts). Each upload is checked afterwards: the size the
 * server holds, and its own Adler-32 where it gives one (RFC 3230 Want-Digest).
 *
 * Uploads go through node:https: it keeps `Content-Length` as written, and XrdHttp 5.5 (Debian
 * 12) reads only that spelling (undici's lower-case one got an empty file stored and a 200).
 */
import { request as httpsRequest } from 'node:https';
import { open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Adler32, sameAdler32 } from '../adler32.js';
import { DataError, asDataError } from '../errors.js';
import type { TransferCredentials } from '../types.js';
import { CopyBatchFile } from './copy-batch-file.js';
import { exchange, statusError, where, type BodySink, type TlsOptions } from './https-exchange.js';
import { DEFAULT_RANGES, rangedDownload, type RangeGet, type RangeOptions } from './https-ranges.js';
import type { ReplyHead } from './http-reply.js';
import type { StorageProtocol, TransferOptions, TransferResult } from './transfer.js';
import { httpUrl } from './url.js';

/** Redirects followed for one GET or HEAD (curl's default is 50; a dCache door sends one). */
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Bytes per read of an upload's source: fewer, larger writes into the TLS socket (64 KiB before). */
const UPLOAD_READ_BYTES = 1024 * 1024;

/** IGTF layout: CA certificates as `*.0` or `*.pem`. */
async function loadCaDir(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => /\.(0|pem)$/.test(n)).sort();
  const texts = await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8').catch(() => '')));
  return texts.filter((t) => t.includes('BEGIN CERTIFICATE'));
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

function headers(credentials: TransferCredentials, extra: Record<string, string> = {}): Record<string, string> {
  return credentials.bearerToken ? { ...extra, authorization: `Bearer ${credentials.bearerToken}` } : extra;
}

/**
 * One GET or HEAD, following redirects: `onHead` gets the final reply's head and says where its
 * body goes. A bearer token goes only to the origin it was meant for (as curl does); the client
 * certificate is presented to each server, as a redirect to a dCache pool needs.
 */
async function follow(
  method: 'GET' | 'HEAD',
  url: string,
  options: TransferOptions,
  extra: Record<string, string>,
  onHead: (head: ReplyHead) => BodySink | null,
): Promise<ReplyHead> {
  const tls = await tlsOptions(options.credentials);
  const first = new URL(url);
  let current = first;
  for (let hop = 0; ; hop++) {
    const sameOrigin = current.origin === first.origin;
    const head = await exchange(
      {
        method,
        url: current,
        headers: sameOrigin ? headers(options.credentials, extra) : extra,
        tls,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
      },
      (h) => (REDIRECTS.has(h.status) ? null : onHead(h)),
    );
    if (!REDIRECTS.has(head.status)) return head;
    const location = head.headers.location;
    if (!location) throw new DataError('other', `${where(method, current)}: HTTP ${head.status} without a Location`);
    if (hop >= MAX_REDIRECTS) throw new DataError('other', `${where(method, first)}: more than ${MAX_REDIRECTS} redirects`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new DataError('other', `${where(method, current)}: HTTP ${head.status} to an unreadable Location`);
    }
    // Never from TLS to plain text: the proxy and the data stay encrypted.
    if (next.protocol !== 'https:')
      throw new DataError('other', `${where(method, current)}: HTTP ${head.status} to a ${next.protocol} URL`);
    current = next;
  }
}

/** What the server holds at `url`: its size, and its Adler-32 (`Digest: adler32=<hex>`) when it gives one. */
async function remoteFile(url: string, options: TransferOptions): Promise<{ size: number; adler32: string | null }> {
  const head = await follow('HEAD', url, options, { 'Want-Digest': 'adler32' }, () => null);
  if (head.status !== 200) throw statusError('HEAD', url, head.status);
  const size = Number(head.headers['content-length'] ?? NaN);
  const m = /(?:^|,)\s*adler32=([0-9a-fA-F]+)/.exec(head.headers.digest ?? '');
  return { size, adler32: m ? m[1]!.toLowerCase() : null };
}

/**
 * node:https PUT of a file, read in 1 MiB pieces into two buffers taken in turn (one is read and
 * summed while the other goes out; a buffer is read into again only once its write is done), so
 * nothing is allocated per piece and memory stays flat; resolves with the status once the server
 * answered, and the size and Adler-32 of what was sent.
 */
async function put(
  target: string,
  source: string,
  size: number,
  options: TransferOptions,
): Promise<{ status: number; sent: TransferResult }> {
  const tls = await tlsOptions(options.credentials);
  // Opened as createReadStream opened it before: the job path hands over a file it pinned (output-data.ts).
  const handle = await open(source, 'r');
  try {
    const req = httpsRequest(target, {
      method: 'PUT',
      ...tls,
      signal: options.signal,
      timeout: options.timeoutMs,
      headers: headers(options.credentials, { 'Content-Length': String(size), 'Content-Type': 'application/octet-stream' }),
    });
    let answer: number | null = null;
    let requestError: unknown = null;
    const answered = new Promise<number>((resolve, reject) => {
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no progress for ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (error) => {
        requestError ??= error;
        reject(error);
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve((answer = res.statusCode ?? 0)));
        res.on('error', reject);
      });
    });
    answered.catch(() => undefined);
    const sum = new Adler32();
    const buffers = [Buffer.allocUnsafe(UPLOAD_READ_BYTES), Buffer.allocUnsafe(UPLOAD_READ_BYTES)];
    const writes: Array<Promise<void> | null> = [null, null];
    let sent = 0;
    try {
      for (let i = 0; sent < size; i ^= 1) {
        await writes[i];
        const { bytesRead } = await handle.read(buffers[i]!, 0, Math.min(UPLOAD_READ_BYTES, size - sent), sent);
        if (bytesRead === 0) break;
        const piece = buffers[i]!.subarray(0, bytesRead);
        sum.update(piece);
        sent += bytesRead;
        writes[i] = new Promise<void>((resolve, reject) => req.write(piece, (error) => (error ? reject(error) : resolve())));
        writes[i]!.catch(() => undefined);
      }
      if (sent !== size)
        throw new DataError('other', `PUT ${target.replace(/\?.*$/, '')}: ${source} shrank to ${sent} bytes while it was sent`);
      for (const write of writes) if (write) await write;
      await new Promise<void>((resolve, reject) => req.end((error?: Error | null) => (error ? reject(error) : resolve())));
    } catch (error) {
      // A server that answered before taking the whole body (a refusal) is heard, not the broken write.
      await Promise.race([answered.catch(() => undefined), new Promise((r) => setTimeout(r, 100))]);
      if (answer === null) {
        req.destroy();
        // Why the request ended (the signal, the timeout, a reset) rather than the write it broke.
        throw requestError ?? error;
      }
    }
    return { status: await answered, sent: { size: sent, adler32: sum.hex() } };
  } finally {
    await handle.close();
  }
}

/** Into `handle` (new, empty): in parts where the size is known and large, else with one GET; never more than a known size. */
async function getInto(target: string, handle: FileHandle, options: TransferOptions, ranges: RangeOptions): Promise<TransferResult> {
  const size = options.expectedSize;
  if (size !== undefined && ranges.parts > 1 && size >= Math.max(ranges.minBytes, ranges.parts)) {
    const get: RangeGet = (extra, signal, onHead) => follow('GET', target, { ...options, signal }, extra, onHead);
    const whole = await rangedDownload(target, get, handle, size, ranges, options.signal);
    if (whole) return whole;
    await handle.truncate(0);
  }
  const file = new CopyBatchFile(handle, 0, size);
  try {
    const head = await follow('GET', target, options, {}, (h) => (h.status === 200 ? file : null));
    if (head.status !== 200) throw statusError('GET', target, head.status);
    await file.finish();
  } finally {
    // The handle is closed next: no write may still be on its way.
    await file.settled();
  }
  return { size: file.size, adler32: file.sum.hex() };
}

export function httpsProtocol(ranges: RangeOptions = DEFAULT_RANGES): StorageProtocol {
  return {
    async download(url, dest, options): Promise<TransferResult> {
      const target = httpUrl(url);
      let handle: FileHandle;
      try {
        // Created, never replaced, never through a symlink.
        handle = await open(dest, 'wx', 0o644);
      } catch (error) {
        // Nothing of ours to remove: an existing file stays as it is.
        throw asDataError(error);
      }
      let result: TransferResult;
      try {
        result = await getInto(target, handle, options, ranges);
      } catch (error) {
        await handle.close().catch(() => undefined);
        await rm(dest, { force: true });
        throw asDataError(error);
      }
      await handle.close();
      return result;
    },

    async upload(source, url, options): Promise<TransferResult> {
      const target = httpUrl(url);
      try {
        const size = (await stat(source)).size;
        const { status, sent } = await put(target, source, size, options);
        if (status < 200 || status >= 300) throw statusError('PUT', target, status);
        const stored = await remoteFile(target, options);
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

/**
 * The https download's own HTTP/1.1 reader against a real TLS server on loopback that answers as
 * it is told: good replies in each framing (Content-Length, chunked, to the connection's end),
 * redirects, and replies out of shape (a bad status line, oversize headers, chunked framing
 * errors, a body shorter or longer than its Content-Length, a reset in the middle of the body, a
 * server that stops sending). Each failure is one line naming the URL and the problem, and leaves
 * no file behind.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestPki, type TestPki } from '../../devserver-dirac/pki.js';
import { adler32, adler32Hex } from '../adler32.js';
import { DataError } from '../errors.js';
import { httpsProtocol } from './https.js';
import { head, replyServer, type Reply, type Request, type Seen } from './test-fixtures.js';
import type { TransferOptions } from './transfer.js';

const body = randomBytes(5 * 1024 * 1024 + 4321);
const bodySum = adler32Hex(adler32(body));

/** A chunked encoding of `data` in pieces of varying size, with an extension and a trailer. */
function chunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.min(data.length - at, 1 + ((i * 104_729) % 300_000));
    parts.push(Buffer.from(`${n.toString(16)}${i % 3 === 0 ? ';ext=1' : ''}\r\n`), data.subarray(at, at + n), Buffer.from('\r\n'));
    at += n;
  }
  parts.push(Buffer.from('0\r\nX-Trailer: yes\r\n\r\n'));
  return Buffer.concat(parts);
}

describe('https downloads through the pilot’s own HTTP/1.1 reader', () => {
  let work: string;
  let pki: TestPki;
  let main: Awaited<ReturnType<typeof replyServer>>;
  let other: Awaited<ReturnType<typeof replyServer>>;
  const seen: Seen[] = [];
  const https = httpsProtocol();

  const options = (extra: Partial<TransferOptions> = {}): TransferOptions => ({
    signal: new AbortController().signal,
    credentials: { caDir: pki.caDir, proxyPath: pki.proxyPath, bearerToken: 'owner-token' },
    timeoutMs: 20_000,
    ...extra,
  });

  const replies: Record<string, Reply> = {
    '/length': (tls) => {
      tls.write(head(['HTTP/1.1 200 OK', `Content-Length: ${body.length}`]));
      tls.end(body);
    },
    '/chunked': (tls) => {
      tls.write(head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']));
      tls.end(chunked(body));
    },
    '/to-close': (tls) => {
      tls.write(head(['HTTP/1.0 200 OK']));
      tls.end(body);
    },
    '/interim': (tls) => {
      tls.write('HTTP/1.1 100 Continue\r\n\r\n');
      tls.write(head(['HTTP/1.1 200 OK', 'Content-Length: 5']));
      tls.end('hello');
    },
    '/moved': (tls, _raw, origin) => tls.end(head(['HTTP/1.1 302 Found', `Location: ${origin}/length?pool=1`, 'Content-Length: 0'])),
    '/to-other': (tls) => tls.end(head(['HTTP/1.1 307 Temporary Redirect', `Location: ${other.origin}/length`, 'Content-Length: 0'])),
    '/loop': (tls) => tls.end(head(['HTTP/1.1 302 Found', 'Location: /loop', 'Content-Length: 0'])),
    '/to-plain': (tls) => tls.end(head(['HTTP/1.1 302 Found', 'Location: http://localhost:1/x', 'Content-Length: 0'])),
    '/denied': (tls) => tls.end(head(['HTTP/1.1 403 Forbidden', 'Content-Length: 3', '']) + 'no\n'),
    '/bad-status': (tls) => tls.end(head(["HTCPCP/1.0 418 I'm a teapot", 'Content-Length: 0'])),
    '/huge-headers': (tls) =>
      tls.end(head(['HTTP/1.1 200 OK', ...Array.from({ length: 700 }, (_, i) => `X-Filler-${i}: ${'x'.repeat(100)}`)])),
    '/bad-chunk-size': (tls) => tls.end(`${head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'])}5\r\nhello\r\nzz\r\nxx\r\n0\r\n\r\n`),
    '/chunk-overrun': (tls) => tls.end(`${head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'])}5\r\nhello world\r\n0\r\n\r\n`),
    '/chunk-cut': (tls) => tls.end(`${head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'])}5\r\nhello\r\n10\r\nonly this`),
    '/gzip': (tls) => tls.end(`${head(['HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, chunked'])}0\r\n\r\n`),
    '/two-lengths': (tls) => tls.end(`${head(['HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 6'])}hello!`),
    '/short': (tls) => {
      tls.write(head(['HTTP/1.1 200 OK', `Content-Length: ${body.length}`]));
      tls.end(body.subarray(0, 3 * 1024 * 1024));
    },
    '/long': (tls) => tls.end(Buffer.concat([Buffer.from(head(['HTTP/1.1 200 OK', 'Content-Length: 100'])), body.subarray(0, 150)])),
    '/reset': (tls, raw) => {
      tls.write(head(['HTTP/1.1 200 OK', `Content-Length: ${body.length}`]));
      tls.write(body.subarray(0, 2 * 1024 * 1024), () => setTimeout(() => raw.resetAndDestroy(), 50));
    },
    '/stall': (tls) => {
      tls.write(head(['HTTP/1.1 200 OK', `Content-Length: ${body.length}`]));
      tls.write(body.subarray(0, 100_000));
    },
    '/silent': () => undefined,
    // Uploads: the body is kept; HEAD answers with its size and Adler-32 (one byte changed on /put-flip).
    '/put-ok': (tls, _raw, _origin, request) => storeOrDescribe(tls, request, '/put-ok'),
    '/put-flip': (tls, _raw, _origin, request) => storeOrDescribe(tls, request, '/put-flip'),
    '/put-refused': (tls) => {
      tls.write(head(['HTTP/1.1 403 Forbidden', 'Content-Length: 0']));
      tls.resume(); // the body is read and dropped
    },
    '/put-stall': (tls) => tls.pause(),
  };

  const stored = new Map<string, Buffer>();
  function storeOrDescribe(tls: TLSSocket, request: Request, path: string): void {
    if (request.method === 'HEAD') {
      const data = stored.get(path) ?? Buffer.alloc(0);
      tls.end(head(['HTTP/1.1 200 OK', `Content-Length: ${data.length}`, `Digest: adler32=${adler32Hex(adler32(data))}`]));
      return;
    }
    const length = Number(request.headers['content-length']);
    const parts = [request.rest];
    let have = request.rest.length;
    const done = (): void => {
      const data = Buffer.concat(parts);
      if (path === '/put-flip') data[1000] = data[1000]! ^ 1;
      stored.set(path, data);
      tls.end(head(['HTTP/1.1 201 Created', 'Content-Length: 0']));
    };
    if (have >= length) return done();
    tls.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      have += chunk.length;
      if (have === length) done();
    });
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'https-replies-'));
    pki = await writeTestPki(join(work, 'pki'));
    main = await replyServer(pki, replies, seen);
    other = await replyServer(pki, replies, seen);
  });
  afterAll(async () => {
    for (const s of [main, other]) {
      for (const socket of s?.sockets ?? []) socket.destroy();
      await new Promise((r) => s?.server.close(r));
    }
    await rm(work, { recursive: true, force: true });
  });

  async function failure(path: string, extra: Partial<TransferOptions> = {}): Promise<{ error: DataError; dest: string }> {
    const dest = join(work, `dl-${path.replace(/\W/g, '')}-${Math.random().toString(36).slice(2)}`);
    try {
      await https.download(`${main.origin}${path}`, dest, options(extra));
    } catch (error) {
      expect(error).toBeInstanceOf(DataError);
      const e = error as DataError;
      expect(e.message).not.toContain('\n');
      // Nothing is left behind.
      await expect(access(dest)).rejects.toThrow(/ENOENT/);
      return { error: e, dest };
    }
    throw new Error(`expected ${path} to fail`);
  }

  it('reads a body framed by Content-Length, by chunks, or by the connection’s end, with its Adler-32', async () => {
    for (const path of ['/length', '/chunked', '/to-close']) {
      const dest = join(work, `ok${path.slice(1)}.bin`);
      expect(await https.download(`${main.origin}${path}`, dest, options())).toEqual({ size: body.length, adler32: bodySum });
      expect((await readFile(dest)).equals(body)).toBe(true);
    }
    const dest = join(work, 'interim.bin');
    expect((await https.download(`${main.origin}/interim`, dest, options())).size).toBe(5);
    expect(await readFile(dest, 'utf8')).toBe('hello');
  });

  it('follows redirects; the bearer token goes to its own origin only, the client certificate to each', async () => {
    seen.length = 0;
    const dest = join(work, 'moved.bin');
    expect(await https.download(`${main.origin}/moved`, dest, options())).toEqual({ size: body.length, adler32: bodySum });
    expect(seen.map((s) => [s.path, s.authorization])).toEqual([
      ['/moved', 'Bearer owner-token'],
      ['/length?pool=1', 'Bearer owner-token'],
    ]);
    seen.length = 0;
    expect(await https.download(`${main.origin}/to-other`, join(work, 'other.bin'), options())).toEqual({
      size: body.length,
      adler32: bodySum,
    });
    expect(seen.map((s) => [s.path, s.authorization, s.clientCertificate])).toEqual([
      ['/to-other', 'Bearer owner-token', true],
      ['/length', undefined, true],
    ]);
    expect((await failure('/loop')).error.message).toMatch(/more than 5 redirects/);
    expect((await failure('/to-plain')).error.message).toMatch(/302 to a http: URL/);
  });

  it('an HTTP error status is its kind, naming the URL', async () => {
    const { error } = await failure('/denied?token=secret');
    expect(error.kind).toBe('denied');
    expect(error.message).toBe(`GET ${main.origin}/denied: HTTP 403`);
    expect((await failure('/nothing-here')).error.kind).toBe('not-found');
  });

  it.each([
    ['/bad-status', /malformed reply: status line "HTCPCP\/1.0 418 I'm a teapot"/],
    ['/huge-headers', /malformed reply: reply headers over 64 KiB/],
    ['/bad-chunk-size', /malformed reply: chunk size "zz"/],
    ['/chunk-overrun', /malformed reply: chunk data longer than its size/],
    ['/chunk-cut', /the connection closed in the middle of a chunked body/],
    ['/gzip', /malformed reply: Transfer-Encoding "gzip, chunked"/],
    ['/two-lengths', /malformed reply: Content-Length "5, 6"/],
    ['/short', new RegExp(`the connection closed after ${3 * 1024 * 1024} of ${body.length} body bytes`)],
    ['/long', /malformed reply: 50 bytes after the body's 100 \(Content-Length\)/],
    ['/reset', /ECONNRESET/],
  ])('a reply out of shape (%s) is one line naming the problem, and no file is left', async (path, pattern) => {
    const { error } = await failure(path);
    expect(error.message).toMatch(pattern);
    expect(error.message.startsWith(`GET ${main.origin}${path}: `)).toBe(true);
  });

  it('a server that stops sending is ended by the no-progress timeout, and by the shutdown signal', async () => {
    for (const path of ['/stall', '/silent']) {
      const { error } = await failure(path, { timeoutMs: 500 });
      expect(error.kind, path).toBe('timeout');
    }
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const { error } = await failure('/stall', { signal: controller.signal, timeoutMs: 60_000 });
    expect(error.kind).toBe('aborted');
    const already = new AbortController();
    already.abort();
    expect((await failure('/length', { signal: already.signal })).error.kind).toBe('aborted');
  });

  it('uploads: the PUT goes out whole with its Adler-32, and the HEAD after it catches a changed byte', async () => {
    const source = join(work, 'upload.bin');
    await writeFile(source, body);
    expect(await https.upload(source, `${main.origin}/put-ok`, options())).toEqual({ size: body.length, adler32: bodySum });
    expect(stored.get('/put-ok')?.equals(body)).toBe(true);
    const flipped = await https.upload(source, `${main.origin}/put-flip`, options()).catch((e: unknown) => e);
    expect(flipped).toBeInstanceOf(DataError);
    expect((flipped as DataError).kind).toBe('corrupt');
    expect((flipped as DataError).message).toMatch(/the server holds Adler-32 [0-9a-f]+, [0-9a-f]+ was sent/);
  });

  it('uploads: a refusal is its kind; a server that stops reading is ended by the timeout and by the shutdown signal', async () => {
    const source = join(work, 'upload.bin');
    await writeFile(source, body);
    const refused = (await https.upload(source, `${main.origin}/put-refused`, options()).catch((e: unknown) => e)) as DataError;
    expect(refused.kind).toBe('denied');
    const timedOut = (await https
      .upload(source, `${main.origin}/put-stall`, options({ timeoutMs: 500 }))
      .catch((e: unknown) => e)) as DataError;
    expect(timedOut.kind).toBe('timeout');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const stopped = (await https
      .upload(source, `${main.origin}/put-stall`, options({ signal: controller.signal, timeoutMs: 60_000 }))
      .catch((e: unknown) => e)) as DataError;
    expect(stopped.kind).toBe('aborted');
  });

  it('never writes through a file that is already there', async () => {
    const dest = join(work, 'existing.bin');
    await writeFile(dest, 'mine');
    await expect(https.download(`${main.origin}/length`, dest, options())).rejects.toThrow(/EEXIST/);
    expect(await readFile(dest, 'utf8')).toBe('mine');
  });
});

/**
 * Large https downloads in two byte ranges, against a TLS server on loopback that serves ranges
 * as asked, ignores them, answers the wrong range, changes a byte, resets a part, stalls or
 * refuses: the file is whole and its Adler-32 that of the bytes received, or the download falls
 * back to one plain GET, or it fails in one line with no file left and no part still running.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestPki, type TestPki } from '../../devserver-dirac/pki.js';
import { adler32, adler32Hex } from '../adler32.js';
import { DataError } from '../errors.js';
import { planParts } from './https-ranges.js';
import { httpsProtocol } from './https.js';
import { head, replyServer, type Reply, type Request, type Seen } from './test-fixtures.js';
import type { TransferOptions } from './transfer.js';

const body = randomBytes(3 * 1024 * 1024 + 777);
const bodySum = adler32Hex(adler32(body));
const MiB = 1024 * 1024;

/** The Range a request asked for, as [start, end] (inclusive), or null. */
function asked(request: Request): [number, number] | null {
  const m = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** A 206 with `data`'s bytes `start`..`end`, or the whole of it as a 200 when no range was asked. */
function serve(tls: TLSSocket, request: Request, data: Buffer): void {
  const range = asked(request);
  if (!range) {
    tls.write(head(['HTTP/1.1 200 OK', `Content-Length: ${data.length}`]));
    tls.end(data);
    return;
  }
  const [start, end] = range;
  tls.write(
    head(['HTTP/1.1 206 Partial Content', `Content-Range: bytes ${start}-${end}/${data.length}`, `Content-Length: ${end - start + 1}`]),
  );
  tls.end(data.subarray(start, end + 1));
}

describe('https downloads in byte ranges side by side', () => {
  let work: string;
  let pki: TestPki;
  let main: Awaited<ReturnType<typeof replyServer>>;
  const seen: Seen[] = [];
  /** The Range header of each request, in order (null: none). */
  const ranges: Array<string | null> = [];
  const https = httpsProtocol({ parts: 2, minBytes: MiB });

  const options = (extra: Partial<TransferOptions> = {}): TransferOptions => ({
    signal: new AbortController().signal,
    credentials: { caDir: pki.caDir, bearerToken: 'owner-token' },
    timeoutMs: 20_000,
    expectedSize: body.length,
    ...extra,
  });

  const flipped = Buffer.from(body);
  flipped[body.length - 5] = flipped[body.length - 5]! ^ 1;
  const track =
    (reply: Reply): Reply =>
    (tls, raw, origin, request) => {
      ranges.push(request.headers.range ?? null);
      reply(tls, raw, origin, request);
    };
  const replies: Record<string, Reply> = {
    '/ranged': track((tls, _raw, _origin, request) => serve(tls, request, body)),
    '/moved': track((tls, _raw, origin) => tls.end(head(['HTTP/1.1 302 Found', `Location: ${origin}/ranged?pool=1`, 'Content-Length: 0']))),
    '/flipped': track((tls, _raw, _origin, request) => serve(tls, request, flipped)),
    // Range ignored: the whole file, as a server without range support sends it.
    '/whole': track((tls) => {
      tls.write(head(['HTTP/1.1 200 OK', `Content-Length: ${body.length}`]));
      tls.end(body);
    }),
    // Always the first 100 bytes, whatever was asked.
    '/wrong-range': track((tls, _raw, _origin, request) => {
      if (!asked(request)) return serve(tls, request, body);
      tls.end(
        Buffer.concat([
          Buffer.from(head(['HTTP/1.1 206 Partial Content', `Content-Range: bytes 0-99/${body.length}`, 'Content-Length: 100'])),
          body.subarray(0, 100),
        ]),
      );
    }),
    '/denied': track((tls) => tls.end(head(['HTTP/1.1 403 Forbidden', 'Content-Length: 0']))),
    // The first part stops after a few bytes; the second part's connection is reset half-way.
    '/reset': track((tls, raw, _origin, request) => {
      const range = asked(request);
      if (!range) return serve(tls, request, body);
      tls.write(
        head([
          'HTTP/1.1 206 Partial Content',
          `Content-Range: bytes ${range[0]}-${range[1]}/${body.length}`,
          `Content-Length: ${range[1] - range[0] + 1}`,
        ]),
      );
      if (range[0] === 0) tls.write(body.subarray(0, 1000));
      else tls.write(body.subarray(range[0], range[0] + 300_000), () => setTimeout(() => raw.resetAndDestroy(), 50));
    }),
    // The first part is served whole; the second, later, gets a 200; the plain GET then a short file.
    '/half-ranges': track((tls, _raw, _origin, request) => {
      const range = asked(request);
      if (!range) return serve(tls, request, body.subarray(0, 1000));
      if (range[0] === 0) return serve(tls, request, body);
      setTimeout(() => serve(tls, { ...request, headers: {} }, body), 300);
    }),
    // Each part as asked, but chunked (no Content-Length) and 1000 bytes longer than its range.
    '/overlong': track((tls, _raw, _origin, request) => {
      const range = asked(request);
      if (!range) return serve(tls, request, body);
      const [start, end] = range;
      const data = body.subarray(start, Math.min(body.length, end + 1001));
      const extra = end + 1 - start + 1000 - data.length;
      const piece = Buffer.concat([data, Buffer.alloc(Math.max(0, extra))]);
      tls.write(
        head(['HTTP/1.1 206 Partial Content', `Content-Range: bytes ${start}-${end}/${body.length}`, 'Transfer-Encoding: chunked']),
      );
      tls.end(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n0\r\n\r\n')]));
    }),
    // The first part arrives; the second stops after its head and a few bytes.
    '/stall': track((tls, _raw, _origin, request) => {
      const range = asked(request);
      if (!range || range[0] === 0) return serve(tls, request, body);
      tls.write(
        head([
          'HTTP/1.1 206 Partial Content',
          `Content-Range: bytes ${range[0]}-${range[1]}/${body.length}`,
          `Content-Length: ${range[1] - range[0] + 1}`,
        ]),
      );
      tls.write(body.subarray(range[0], range[0] + 1000));
    }),
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'https-ranges-'));
    pki = await writeTestPki(join(work, 'pki'));
    main = await replyServer(pki, replies, seen);
  });
  afterAll(async () => {
    for (const socket of main?.sockets ?? []) socket.destroy();
    await new Promise((r) => main?.server.close(r));
    await rm(work, { recursive: true, force: true });
  });

  const dest = (): string => join(work, `dl-${Math.random().toString(36).slice(2)}`);

  async function failure(path: string, extra: Partial<TransferOptions> = {}): Promise<DataError> {
    const to = dest();
    const error = await https.download(`${main.origin}${path}`, to, options(extra)).then(
      () => new Error(`expected ${path} to fail`),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).not.toContain('\n');
    await expect(access(to)).rejects.toThrow(/ENOENT/);
    return error as DataError;
  }

  it('splits a file into contiguous ranges, the last taking the rest', () => {
    expect(planParts(10, 2)).toEqual([
      { start: 0, end: 4 },
      { start: 5, end: 9 },
    ]);
    expect(planParts(11, 2)).toEqual([
      { start: 0, end: 4 },
      { start: 5, end: 10 },
    ]);
    expect(planParts(10, 3).map((p) => p.end - p.start + 1)).toEqual([3, 3, 4]);
  });

  it('asks for two halves, writes each at its place, and sums them as one file', async () => {
    ranges.length = 0;
    const to = dest();
    expect(await https.download(`${main.origin}/ranged`, to, options())).toEqual({ size: body.length, adler32: bodySum });
    expect((await readFile(to)).equals(body)).toBe(true);
    const half = Math.floor(body.length / 2);
    expect([...ranges].sort()).toEqual([`bytes=${half}-${body.length - 1}`, `bytes=0-${half - 1}`].sort());
  });

  it('each part follows a redirect with its Range and the token for its own origin', async () => {
    ranges.length = 0;
    seen.length = 0;
    const to = dest();
    expect(await https.download(`${main.origin}/moved`, to, options())).toEqual({ size: body.length, adler32: bodySum });
    expect(ranges.filter((r) => r !== null)).toHaveLength(4);
    expect(seen.filter((s) => s.path === '/ranged?pool=1').map((s) => s.authorization)).toEqual([
      'Bearer owner-token',
      'Bearer owner-token',
    ]);
  });

  it('the sum is of the bytes received: a byte changed in the second half shows', async () => {
    const got = await https.download(`${main.origin}/flipped`, dest(), options());
    expect(got.size).toBe(body.length);
    expect(got.adler32).toBe(adler32Hex(adler32(flipped)));
  });

  it.each([
    ['/whole', 'ignores Range (200 with the whole file)'],
    ['/wrong-range', 'answers another range'],
  ])('a server that %s gets one plain GET instead, from the start', async (path) => {
    ranges.length = 0;
    const to = dest();
    expect(await https.download(`${main.origin}${path}`, to, options())).toEqual({ size: body.length, adler32: bodySum });
    expect((await readFile(to)).equals(body)).toBe(true);
    // Range requests (the second may be stopped before the server reads it), then one plain GET.
    expect(ranges.slice(-1)).toEqual([null]);
    expect(ranges.filter((r) => r === null)).toHaveLength(1);
    expect(ranges.filter((r) => r !== null).length).toBeGreaterThanOrEqual(1);
  });

  it('a refusal is its kind, with no plain GET after it', async () => {
    ranges.length = 0;
    const error = await failure('/denied');
    expect(error.kind).toBe('denied');
    expect(error.message).toBe(`GET ${main.origin}/denied: HTTP 403`);
    expect(ranges.every((r) => r !== null)).toBe(true);
  });

  it('a part reset half-way fails the download in one line, its own, and stops the other part at once', async () => {
    // The stalled part's no-progress timeout is past the test's own: only the stop ends it in time.
    const error = await failure('/reset', { timeoutMs: 120_000 });
    expect(error.message).toMatch(/ECONNRESET/);
    expect(error.message.startsWith(`GET ${main.origin}/reset: `)).toBe(true);
  });

  it('what parts wrote before the fallback is gone: the file is what the plain GET brought', async () => {
    const to = dest();
    expect(await https.download(`${main.origin}/half-ranges`, to, options())).toEqual({
      size: 1000,
      adler32: adler32Hex(adler32(body.subarray(0, 1000))),
    });
    expect((await readFile(to)).equals(body.subarray(0, 1000))).toBe(true);
  });

  it('a stalled part is ended by the no-progress timeout, and by the shutdown signal', async () => {
    expect((await failure('/stall', { timeoutMs: 500 })).kind).toBe('timeout');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    expect((await failure('/stall', { signal: controller.signal, timeoutMs: 60_000 })).kind).toBe('aborted');
  });

  it('a part longer than its range, or a whole file longer than its known size, fails before the excess is written', async () => {
    const error = await failure('/overlong');
    expect(error.kind).toBe('corrupt');
    expect(error.message).toMatch(/more than the \d+ bytes expected/);
    // One GET (below the threshold) of a file the catalog says is 10 bytes shorter.
    const single = httpsProtocol({ parts: 2, minBytes: 64 * MiB });
    const to = dest();
    const longer = await single.download(`${main.origin}/ranged`, to, options({ expectedSize: body.length - 10 })).catch((e: unknown) => e);
    expect((longer as DataError).kind).toBe('corrupt');
    expect((longer as DataError).message).toBe(`GET ${main.origin}/ranged: more than the ${body.length - 10} bytes expected`);
    await expect(access(to)).rejects.toThrow(/ENOENT/);
  });

  it('a file below the threshold, or of unknown size, takes one GET', async () => {
    ranges.length = 0;
    await https.download(`${main.origin}/ranged`, dest(), options({ expectedSize: undefined }));
    await httpsProtocol({ parts: 2, minBytes: 64 * MiB }).download(`${main.origin}/ranged`, dest(), options());
    expect(ranges).toEqual([null, null]);
  });
});

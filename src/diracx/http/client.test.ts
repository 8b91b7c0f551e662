import { existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from './client.js';
import { TransportError } from './transport-error.js';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A TCP server on loopback whose connections `onSocket` handles; its base URL. */
async function rawServer(onSocket: (socket: net.Socket) => void): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
}

async function failure(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

describe('HttpClient over node:http', () => {
  it('sends JSON with its length and a bearer token, keeps the connection, notes the server date', async () => {
    const seen: Array<{ method?: string; url?: string; auth?: string; type?: string; length?: string; body: string; socket: number }> = [];
    let connections = 0;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          auth: req.headers.authorization,
          type: req.headers['content-type'],
          length: req.headers['content-length'],
          body,
          socket: (req.socket as net.Socket & { n?: number }).n ?? 0,
        });
        res.setHeader('date', 'Mon, 23 Nov 2026 03:00:00 GMT');
        res.end('{"ok":true}');
      });
    });
    server.on('connection', (s: net.Socket & { n?: number }) => (s.n = ++connections));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const client = new HttpClient({ baseUrl: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/api/` });
    closers.push(() => void client.close());
    const first = await client.send({ method: 'PATCH', target: 'jobs/status', json: { a: 'é' }, bearer: 'tok' });
    const second = await client.send({ method: 'POST', target: '/token', form: { grant_type: 'refresh_token' } });
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body.toString())).toEqual({ ok: true });
    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      url: '/api/jobs/status',
      auth: 'Bearer tok',
      type: 'application/json',
      length: String(Buffer.byteLength('{"a":"é"}')),
      body: '{"a":"é"}',
    });
    expect(seen[1]).toMatchObject({
      method: 'POST',
      url: '/api/token',
      auth: undefined,
      type: 'application/x-www-form-urlencoded',
      body: 'grant_type=refresh_token',
    });
    expect(second.status).toBe(200);
    expect(seen[1]!.socket).toBe(seen[0]!.socket); // keep-alive
    expect(client.lastServerDate?.toISOString()).toBe('2026-11-23T03:00:00.000Z');
  });

  it('a server that never answers is a read timeout: ambiguous', async () => {
    const url = await rawServer(() => undefined);
    const client = new HttpClient({ baseUrl: url, readTimeoutMs: 200 });
    const error = await failure(client.send({ method: 'GET', target: '/x' }));
    expect(error).toMatchObject({ failure: 'ambiguous', code: 'READ_TIMEOUT' });
    await client.close();
  });

  it('a connection not established in time (here: a TLS handshake never answered) was never sent', async () => {
    const url = (await rawServer(() => undefined)).replace('http:', 'https:');
    const client = new HttpClient({ baseUrl: url, connectTimeoutMs: 200, readTimeoutMs: 10_000 });
    expect(await failure(client.send({ method: 'PATCH', target: '/x', json: {} }))).toMatchObject({
      failure: 'not-sent',
      code: 'CONNECT_TIMEOUT',
    });
    await client.close();
  });

  it('a connection dropped before the reply is ambiguous; a refused one was never sent', async () => {
    const url = await rawServer((socket) => socket.once('data', () => socket.destroy()));
    const client = new HttpClient({ baseUrl: url });
    expect(await failure(client.send({ method: 'PATCH', target: '/x', json: {} }))).toMatchObject({
      failure: 'ambiguous',
      code: 'ECONNRESET',
    });
    const closed = await rawServer(() => undefined);
    closers.pop()!(); // nothing listens there any more
    const refused = new HttpClient({ baseUrl: closed });
    expect(await failure(refused.send({ method: 'GET', target: '/x' }))).toMatchObject({ failure: 'not-sent', code: 'ECONNREFUSED' });
    await client.close();
  });

  it('a garbled reply and one cut in its body are ambiguous, never a crash', async () => {
    const garbled = await rawServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 2x0 OK\r\n\r\n')));
    const client = new HttpClient({ baseUrl: garbled });
    expect((await failure(client.send({ method: 'GET', target: '/x' }))).failure).toBe('ambiguous');
    const cut = await rawServer((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"a":');
        setTimeout(() => socket.destroy(), 20);
      }),
    );
    const other = new HttpClient({ baseUrl: cut });
    expect((await failure(other.send({ method: 'GET', target: '/x' }))).failure).toBe('ambiguous');
    await client.close();
    await other.close();
  });

  it('refuses a reply larger than 16 MiB', async () => {
    const url = await rawServer((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 20000000\r\n\r\n');
        const chunk = Buffer.alloc(1024 * 1024, 'a');
        let sent = 0;
        const more = () => {
          while (sent < 20 && socket.write(chunk)) sent++;
          if (sent < 20)
            socket.once('drain', () => {
              sent++;
              more();
            });
        };
        more();
      }),
    );
    const client = new HttpClient({ baseUrl: url });
    expect(await failure(client.send({ method: 'GET', target: '/x' }))).toMatchObject({ failure: 'ambiguous', code: 'REPLY_TOO_LARGE' });
    await client.close();
  });

  it('a reply dripping one byte at a time ends at the overall deadline, not the idle-read timeout', async () => {
    const drip = await rawServer((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n');
        const timer = setInterval(() => socket.write('x'), 50);
        socket.on('close', () => clearInterval(timer));
      }),
    );
    // Each byte comes well inside the idle-read timeout: only the overall deadline can end it.
    const client = new HttpClient({ baseUrl: drip, readTimeoutMs: 5_000, requestTimeoutMs: 400 });
    expect(await failure(client.send({ method: 'GET', target: '/x' }))).toMatchObject({ failure: 'ambiguous', code: 'DEADLINE' });
    expect(await failure(client.send({ method: 'GET', target: '/x', timeoutMs: 200 }))).toMatchObject({ code: 'DEADLINE' });
    await client.close();
  });

  it('the abort signal ends a request wherever it stands: waiting for headers, reading a body, or not yet sent', async () => {
    const silent = await rawServer(() => undefined);
    const client = new HttpClient({ baseUrl: silent, readTimeoutMs: 60_000 });
    const stop = new AbortController();
    const pending = failure(client.send({ method: 'GET', target: '/x', signal: stop.signal }));
    setTimeout(() => stop.abort(new Error('received SIGTERM')), 100);
    expect(await pending).toMatchObject({ failure: 'aborted', code: 'ABORTED', message: expect.stringContaining('received SIGTERM') });
    expect(await failure(client.send({ method: 'GET', target: '/x', signal: stop.signal }))).toMatchObject({ failure: 'aborted' });

    const drip = await rawServer((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n');
        const timer = setInterval(() => socket.write('x'), 20);
        socket.on('close', () => clearInterval(timer));
      }),
    );
    const reading = new HttpClient({ baseUrl: drip });
    const second = new AbortController();
    const body = failure(reading.send({ method: 'GET', target: '/x', signal: second.signal }));
    setTimeout(() => second.abort(new Error('received SIGTERM')), 150);
    expect(await body).toMatchObject({ failure: 'aborted' });
    await client.close();
    await reading.close();
  });
});

describe('HttpClient downloads (issue 16 §1b)', () => {
  function dest(): string {
    return path.join(mkdtempSync(path.join(tmpdir(), 'download-')), 'job.input-0.tar');
  }

  it('stops an endless reply at the size cap and leaves no partial file', async () => {
    const endless = await rawServer((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
        const chunk = Buffer.alloc(64 * 1024, 'z');
        const more = () => {
          while (!socket.destroyed && socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`));
          if (!socket.destroyed) socket.once('drain', more);
        };
        more();
      }),
    );
    const client = new HttpClient({ baseUrl: endless, maxDownloadBytes: 1024 * 1024 });
    const file = dest();
    expect(await failure(client.download({ method: 'GET', target: '/sb' }, file))).toMatchObject({
      failure: 'too-large',
      code: 'DOWNLOAD_TOO_LARGE',
    });
    expect(existsSync(file)).toBe(false);
    await client.close();
  });

  it('refuses an announced length over the cap before writing a byte', async () => {
    let sentBody = false;
    const big = await rawServer((socket) =>
      socket.once('data', () => {
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${200 * 1024 * 1024}\r\n\r\n`);
        setTimeout(() => {
          sentBody = !socket.destroyed;
          if (sentBody) socket.write('data');
        }, 200);
      }),
    );
    const client = new HttpClient({ baseUrl: big });
    const file = dest();
    const error = await failure(client.download({ method: 'GET', target: '/sb' }, file));
    expect(error).toMatchObject({ failure: 'too-large', message: expect.stringContaining(`${200 * 1024 * 1024} bytes announced`) });
    expect(existsSync(file)).toBe(false);
    await client.close();
  });

  it('a download cut by the server, by its deadline or by the abort signal leaves no partial file', async () => {
    const cut = await rawServer((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n');
        socket.write(Buffer.alloc(30_000, 1));
        setTimeout(() => socket.destroy(), 50);
      }),
    );
    const client = new HttpClient({ baseUrl: cut });
    const file = dest();
    expect((await failure(client.download({ method: 'GET', target: '/sb' }, file))).failure).toBe('ambiguous');
    expect(existsSync(file)).toBe(false);

    const drip = await rawServer((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n');
        const timer = setInterval(() => socket.write(Buffer.alloc(100, 2)), 20);
        socket.on('close', () => clearInterval(timer));
      }),
    );
    const slow = new HttpClient({ baseUrl: drip });
    expect(await failure(slow.download({ method: 'GET', target: '/sb', timeoutMs: 300 }, file))).toMatchObject({ code: 'DEADLINE' });
    expect(existsSync(file)).toBe(false);
    const stop = new AbortController();
    const pending = failure(slow.download({ method: 'GET', target: '/sb', signal: stop.signal }, file));
    setTimeout(() => stop.abort(new Error('received SIGTERM')), 200);
    expect(await pending).toMatchObject({ failure: 'aborted' });
    expect(existsSync(file)).toBe(false);
    await client.close();
    await slow.close();
  });
});

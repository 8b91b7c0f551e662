/** DIPS client behaviour against scripted peers over plain loopback TCP (TLS is tested separately). */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { DipsClient, type DipsClientOptions } from './client.js';
import { DipsConnection } from './connection.js';
import { decodePayload, encodeKeepAlive, FrameReader } from './frames.js';

type Script = (connection: DipsConnection, socket: net.Socket) => Promise<void>;
const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function scriptedClient(script: Script, extra: Partial<DipsClientOptions> = {}): Promise<DipsClient> {
  const server = net.createServer((socket) => {
    const connection = new DipsConnection(socket, { host: 'client', port: 0 }, 'json', 5_000);
    void script(connection, socket).catch(() => socket.destroy());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return new DipsClient({
    credentials: { proxy: undefined as never, ca: [] },
    setup: 'Test',
    vo: 'gridpp',
    clientVersion: '9.0.4',
    timeoutMs: 5_000,
    connect: () =>
      new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
      }),
    ...extra,
  });
}

const url = new URL('dips://localhost:9170/WorkloadManagement/Matcher');

describe('DipsClient', () => {
  it('sends the proposal, then the arguments, and returns the result', async () => {
    const seen: unknown[] = [];
    const client = await scriptedClient(async (c) => {
      seen.push(await c.receive('proposal'));
      c.send({ OK: true, Value: null });
      seen.push(await c.receive('args'));
      c.send({ OK: false, Errno: 1510, Message: 'No match found ( 1510 : )' });
    });
    expect(await client.call(url, 'requestJob', [{ CPUTime: 5 }])).toEqual({
      ok: false,
      errno: 1510,
      message: 'No match found ( 1510 : )',
    });
    expect(seen).toEqual([
      { OK: true, Value: [['WorkloadManagement/Matcher', 'Test', 'gridpp'], ['RPC', 'requestJob'], '', '9.0.4'] },
      { OK: true, Value: [{ CPUTime: 5 }] },
    ]);
  });

  it('answers keep-alive pings while waiting', async () => {
    let pong: unknown;
    const client = await scriptedClient(async (c, socket) => {
      await c.receive('proposal');
      c.send({ OK: true, Value: null });
      await c.receive('args');
      const reader = new FrameReader();
      // The reply goes out once the pong came back (a fixed wait lost the race on a loaded machine).
      const ponged = new Promise<void>((resolve) => {
        socket.prependListener('data', (chunk: Buffer) => {
          for (const frame of reader.push(chunk)) {
            if (!frame.keepAlive) continue;
            pong = decodePayload(frame.payload);
            resolve();
          }
        });
      });
      socket.write(encodeKeepAlive('abc', true));
      await ponged;
      c.send({ OK: true, Value: 'done' });
    });
    expect(await client.call(url, 'ping', [])).toEqual({ ok: true, value: 'done' });
    expect(pong).toEqual({ OK: true, Value: { id: 'abc', kaping: false } });
  });

  it('turns a refused proposal into an authorisation error', async () => {
    const client = await scriptedClient(async (c) => {
      await c.receive('proposal');
      c.send({ OK: false, Errno: 1111, Message: 'Unauthorized query ( 1111 : Unauthorized query)', CallStack: [] });
    });
    const error = await client.call(url, 'requestJob', []).catch((e: unknown) => e);
    expect((error as PilotError).exitCode).toBe(ExitCode.AUTH_REFUSED);
    expect((error as PilotError).message).toMatch(/refused WorkloadManagement\/Matcher\.requestJob: Unauthorized query/);
  });

  it('the stop signal ends a call waiting for its reply, and one still connecting (issue 16 §1)', { timeout: 10_000 }, async () => {
    const stop = new AbortController();
    // A server that takes the proposal and never answers, and a connect that never completes: each
    // would wait its 120 s timeout (set here to a minute) without the signal.
    const waiting = await scriptedClient(
      async (c) => {
        await c.receive('proposal');
      },
      { timeoutMs: 60_000, signal: stop.signal },
    );
    const connecting = new DipsClient({
      credentials: { proxy: undefined as never, ca: [] },
      setup: 'Test',
      vo: 'gridpp',
      clientVersion: '9.0.4',
      timeoutMs: 60_000,
      signal: stop.signal,
      connect: () => new Promise(() => undefined),
    });
    const calls = [waiting.call(url, 'requestJob', []), connecting.call(url, 'requestJob', [])].map((p) =>
      p.catch((e: unknown) => e as PilotError),
    );
    setTimeout(() => stop.abort(new Error('reporting time after the stop signal is over')), 200);
    for (const error of await Promise.all(calls)) {
      expect(error).toMatchObject({
        exitCode: ExitCode.SERVER_UNREACHABLE,
        message: expect.stringContaining('abandoned (reporting time after the stop signal is over)'),
      });
    }
    // Once aborted, nothing more is even attempted.
    expect(await connecting.call(url, 'requestJob', []).catch((e: unknown) => (e as Error).message)).toMatch(/abandoned/);
  });

  it('reports garbage from the server as a protocol error', async () => {
    const client = await scriptedClient(async (_c, socket) => {
      socket.write('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    const error = await client.call(url, 'requestJob', []).catch((e: unknown) => e);
    expect((error as PilotError).exitCode).toBe(ExitCode.SERVER_PROTOCOL);
    expect((error as PilotError).message).toMatch(/malformed frame header/);
  });

  describe('file transfer', () => {
    let dir: string;
    afterEach(async () => rm(dir, { recursive: true, force: true }));

    const serveFile =
      (chunks: Buffer[], md5: string): Script =>
      async (c) => {
        await c.receive('proposal');
        c.send({ OK: true, Value: null });
        await c.receive('header');
        c.send({ OK: true, Value: 'Accepted' });
        for (const chunk of chunks) {
          c.send({ OK: true, Value: [true, new Uint8Array(chunk)] });
          await c.receive('ack');
        }
        c.send({ OK: true, Value: [false, md5] });
        c.send({ OK: true, Value: null });
      };

    it('writes the file only when the MD5 matches', async () => {
      dir = await mkdtemp(join(tmpdir(), 'dips-ft-'));
      const parts = [Buffer.from('hello '), Buffer.from('world')];
      const good = await scriptedClient(serveFile(parts, '5eb63bbbe01eeed093cb22bb8f5acdc3'));
      expect(await good.receiveFile(url, '/SandBox/x.tar', '', join(dir, 'a'))).toEqual({
        bytes: 11,
        md5: '5eb63bbbe01eeed093cb22bb8f5acdc3',
      });
      expect(await readFile(join(dir, 'a'), 'utf8')).toBe('hello world');

      const bad = await scriptedClient(serveFile(parts, '00000000000000000000000000000000'));
      const error = await bad.receiveFile(url, '/SandBox/x.tar', '', join(dir, 'b')).catch((e: unknown) => e);
      expect((error as PilotError).message).toMatch(/MD5 mismatch/);
      expect(existsSync(join(dir, 'b'))).toBe(false);
      expect(existsSync(join(dir, 'b.part'))).toBe(false);
    });
  });
});

/**
 * The legacy dev server replayed against DIRAC's recorded client frames (dips-frames.json): the
 * bytes a real DIRAC RPCClient sent are written raw over TLS, and the server must answer the
 * proposal with DIRAC's exact acknowledgement bytes and the call with a Matcher-shaped reply, in
 * the client's encoding (JEncode for v9, DEncode for v8).
 */
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameReader, decodePayload, type Frame } from '../../src/dirac/dips/frames.js';
import { connectTls } from '../../src/dirac/dips/tls.js';
import { loadCaDirectory } from '../../src/dirac/x509/ca-dir.js';
import { loadProxyFile } from '../../src/dirac/x509/proxy-file.js';
import { startDiracDevServer, type DiracDevServer } from '../../src/devserver-dirac/index.js';

interface FrameCase {
  id: string;
  output: { frame_hex: string; client_result?: Record<string, unknown> };
}

const cases = JSON.parse(
  await readFile(new URL('../fixtures/dirac-legacy-vectors/dips-frames.json', import.meta.url), 'utf8'),
) as FrameCase[];
const frame = (id: string): FrameCase => cases.find((c) => c.id === id)!;
const VERSION = '9.0.0a32.dev13+gb5bc25cb2d';

let dir: string;
let server: DiracDevServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'devserver-vectors-'));
  server = await startDiracDevServer({
    dir,
    releaseVersion: VERSION,
    jobs: [
      { jobId: 123, fields: { Executable: 'dirac-jobexec', CPUTime: 86400 } },
      { jobId: 124, fields: { Executable: 'dirac-jobexec', CPUTime: 86400 } },
    ],
  });
}, 60_000);

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(): Promise<{ socket: TLSSocket; next: () => Promise<Frame> }> {
  const port = Number(new URL(server.csUrls[0]!).port);
  const credentials = { proxy: await loadProxyFile(server.proxyPath), ca: (await loadCaDirectory(server.caDir)).pems };
  const socket = await connectTls({ host: 'localhost', port }, credentials, 10_000);
  const reader = new FrameReader();
  const frames: Frame[] = [];
  const waiters: ((f: Frame) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const f of reader.push(chunk)) {
      const waiter = waiters.shift();
      if (waiter) waiter(f);
      else frames.push(f);
    }
  });
  const next = (): Promise<Frame> => {
    const queued = frames.shift();
    return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
  };
  return { socket, next };
}

const raw = (f: Frame): string => Buffer.concat([Buffer.from(`${f.payload.length}:`), f.payload]).toString('hex');

describe('legacy dev server replaying DIRAC client frames', () => {
  for (const scenario of ['json/requestJob-realistic', 'dencode/requestJob-ok']) {
    it(
      scenario,
      async () => {
        const { socket, next } = await open();
        socket.write(Buffer.from(frame(`${scenario}/0-proposal`).output.frame_hex, 'hex'));
        expect(raw(await next())).toBe(frame(`${scenario}/1-ack`).output.frame_hex);
        socket.write(Buffer.from(frame(`${scenario}/2-args`).output.frame_hex, 'hex'));
        const reply = await next();
        socket.destroy();
        const expected = frame(`${scenario}/3-reply`).output.client_result!;
        const value = decodePayload(reply.payload, { exact: true }) as Map<string, unknown>;
        expect(reply.payload[0]).toBe(scenario.startsWith('dencode') ? 0x64 : 0x7b);
        expect([...value.keys()]).toEqual(['OK', 'Value']);
        const got = value.get('Value') as Map<string, unknown>;
        const want = expected.Value as Record<string, unknown>;
        // Same keys as DIRAC's Matcher reply (the realistic one lists them in selectJob's order).
        if (scenario.startsWith('json')) expect([...got.keys()]).toEqual(Object.keys(want));
        else expect([...got.keys()]).toEqual(expect.arrayContaining(Object.keys(want)));
        expect(typeof got.get('JDL')).toBe('string');
      },
      30_000,
    );
  }
});

import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { generateDevTls, type DevTlsMaterial } from '../../src/devserver/tls.js';

let dir: string;
let tls: DevTlsMaterial;
let server: DevServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'devserver-tls-'));
  tls = await generateDevTls(path.join(dir, 'tls'));
  server = await startDevServer({ tls: { cert: tls.cert, key: tls.key } });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('TLS mode with a generated CA', () => {
  it('serves https and is trusted by a client given the CA', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const dispatcher = new Agent({ connect: { ca: readFileSync(tls.caFile) } });
    try {
      const r = await fetch(`${server.url}/.well-known/openid-configuration`, { dispatcher });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { issuer: string }).issuer).toBe(server.url);
    } finally {
      await dispatcher.close();
    }
  });

  it('is refused by a client without the CA', async () => {
    const dispatcher = new Agent();
    try {
      await expect(fetch(`${server.url}/.well-known/openid-configuration`, { dispatcher })).rejects.toThrow();
    } finally {
      await dispatcher.close();
    }
  });

  it('writes private keys 0600 and a hashed CA directory', async () => {
    expect((await stat(tls.keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(path.dirname(tls.keyFile), 'ca.key'))).mode & 0o777).toBe(0o600);
    expect(await readdir(tls.caDir)).toEqual([expect.stringMatching(/^[0-9a-f]{8}\.0$/)]);
  });
});

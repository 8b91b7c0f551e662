import { createPublicKey, verify } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { call } from './helpers.js';

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ features: { secretExchange: true } });
});
afterAll(() => server.close());

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const refresh = (token: string) =>
  call(server, 'POST', '/api/auth/token', { form: { grant_type: 'refresh_token', client_id: 'myDIRACClientID', refresh_token: token } });

describe('discovery and tokens', () => {
  it('serves the OpenID configuration and a JWKS that verifies the Ed25519 signature', async () => {
    const config = await call(server, 'GET', '/.well-known/openid-configuration');
    expect(config.status).toBe(200);
    expect(config.json).toMatchObject({
      issuer: server.url,
      token_endpoint: `${server.url}/api/auth/token`,
      jwks_uri: `${server.url}/.well-known/jwks.json`,
    });
    const jwks = (await call(server, 'GET', '/.well-known/jwks.json')).json as { keys: Record<string, string>[] };
    const key = createPublicKey({ key: jwks.keys[0]!, format: 'jwk' });
    const token = server.issuePilotCredentials().access_token;
    const [head, payload, signature] = token.split('.') as [string, string, string];
    expect(verify(null, Buffer.from(`${head}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  it('puts the claims of diracx-api.md §3 in pilot and user tokens', () => {
    const pilot = claims(server.issuePilotCredentials().access_token);
    expect(pilot).toMatchObject({
      vo: 'demo',
      iss: server.url,
      dirac_properties: expect.arrayContaining(['GenericPilot']),
      dirac_group: 'demo_pilot',
    });
    for (const key of ['sub', 'preferred_username', 'jti', 'exp']) expect(pilot).toHaveProperty(key);
    expect(String(pilot.sub)).toMatch(/^demo:/);
    const user = claims(server.issueUserCredentials('alice').access_token);
    expect(user).toMatchObject({ preferred_username: 'alice', dirac_properties: ['NormalUser'], dirac_group: 'demo_user' });
  });

  it('rotates the refresh token on every refresh; reusing a rotated one revokes everything of the subject', async () => {
    const first = server.issueUserCredentials('bob');
    const r1 = await refresh(first.refresh_token);
    expect(r1.status).toBe(200);
    const pair1 = r1.json as { access_token: string; refresh_token: string; token_type: string; expires_in: number };
    expect(pair1.token_type).toBe('Bearer');
    expect(pair1.refresh_token).not.toBe(first.refresh_token);
    const r2 = await refresh(pair1.refresh_token);
    expect(r2.status).toBe(200);
    const pair2 = r2.json as { access_token: string; refresh_token: string };
    // Replaying the first (rotated) refresh token: 401, and everything bob holds is revoked.
    expect((await refresh(first.refresh_token)).status).toBe(401);
    expect((await refresh(pair2.refresh_token)).status).toBe(401);
    expect((await call(server, 'POST', '/api/jobs/jdl', { token: pair2.access_token, json: ['Executable = "x";'] })).status).toBe(401);
  });

  it('refuses an expired access token with 401', async () => {
    const short = await startDevServer({ accessTokenTtlSeconds: 1 });
    try {
      const token = short.issuePilotCredentials().access_token;
      await delay(2100);
      const r = await call(short, 'PATCH', '/api/jobs/heartbeat', { token, json: {} });
      expect(r.status).toBe(401);
      // As DiracX words it (diracx-api.md §7): nothing says "expired".
      expect(r.json).toEqual({ detail: 'Invalid JWT' });
    } finally {
      await short.close();
    }
  });

  it('refuses a token signed by another server', async () => {
    const other = await startDevServer();
    try {
      // The shared server's token sent to a fresh one: a fresh connection too (under load, one to the
      // shared server can sit idle past its 5 s keep-alive while `other` starts, and meet ECONNRESET).
      const foreign = server.issuePilotCredentials().access_token;
      expect((await call(other, 'PATCH', '/api/jobs/heartbeat', { token: foreign, json: {} })).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('revokeAll() makes every issued token fail', async () => {
    const local = await startDevServer();
    try {
      const creds = local.issuePilotCredentials();
      expect((await call(local, 'PATCH', '/api/jobs/heartbeat', { token: creds.access_token, json: {} })).status).toBe(200);
      local.revokeAll();
      expect((await call(local, 'PATCH', '/api/jobs/heartbeat', { token: creds.access_token, json: {} })).status).toBe(401);
      const r = await call(local, 'POST', '/api/auth/token', {
        form: { grant_type: 'refresh_token', client_id: 'c', refresh_token: creds.refresh_token },
      });
      expect(r.status).toBe(401);
    } finally {
      await local.close();
    }
  });

  it('answers /api/auth/userinfo for the bearer', async () => {
    const r = await call(server, 'GET', '/api/auth/userinfo', { token: server.issueUserCredentials('uinfo').access_token });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ vo: 'demo', dirac_group: 'demo_user', properties: ['NormalUser'], preferred_username: 'uinfo' });
    expect((await call(server, 'GET', '/api/auth/userinfo')).status).toBe(401);
  });

  it('keeps refresh tokens out of the recorded requests', async () => {
    const pair = server.issueUserCredentials('rec');
    await refresh(pair.refresh_token);
    const recorded = server.requests.filter((r) => r.path === '/api/auth/token').at(-1)!;
    expect(recorded.body).toMatchObject({ grant_type: 'refresh_token', refresh_token: '[redacted]' });
    expect(JSON.stringify(server.requests)).not.toContain(pair.refresh_token);
  });

  it('validates the token form against the spec (422 without client_id)', async () => {
    const r = await call(server, 'POST', '/api/auth/token', { form: { grant_type: 'refresh_token', refresh_token: 'x' } });
    expect(r.status).toBe(422);
  });
});

describe('proposed pilot secret exchange', () => {
  it('trades a secret once for a pilot token carrying the stamp', async () => {
    const secret = server.addPilotSecret('stamp-1');
    const r = await call(server, 'POST', '/api/auth/secret-exchange', { json: { pilot_stamp: 'stamp-1', pilot_secret: secret } });
    expect(r.status).toBe(200);
    expect(claims((r.json as { access_token: string }).access_token)).toMatchObject({ pilot_stamp: 'stamp-1' });
    expect(
      (await call(server, 'POST', '/api/auth/secret-exchange', { json: { pilot_stamp: 'stamp-1', pilot_secret: secret } })).status,
    ).toBe(401);
    expect(
      (await call(server, 'POST', '/api/auth/secret-exchange', { json: { pilot_stamp: 'stamp-1', pilot_secret: 'wrong' } })).status,
    ).toBe(401);
  });

  it('is absent unless the feature is on', async () => {
    const plain = await startDevServer();
    try {
      expect((await call(plain, 'POST', '/api/auth/secret-exchange', { json: { pilot_stamp: 'a', pilot_secret: 'b' } })).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

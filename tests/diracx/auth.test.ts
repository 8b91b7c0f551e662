import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiracxBackend, type DiracxBackend } from '../../src/diracx/index.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { REDACTED_KEYS } from '../../src/core/logger.js';
import { rotatingTokenEndpoint, startFakeDiracx, type FakeServer, type SeenRequest } from './fake-diracx.js';

const FAST_RETRY = { baseDelayMs: 2, maxDelayMs: 10, callBudgetMs: 1_000 };

let server: FakeServer | undefined;
let backend: DiracxBackend | undefined;
afterEach(async () => {
  await backend?.close().catch(() => undefined);
  await server?.close();
  backend = undefined;
  server = undefined;
});

function bearer(req: SeenRequest): string | undefined {
  return req.headers.authorization?.replace(/^Bearer /, '');
}

function credentialFile(document: Record<string, unknown>, mode = 0o600): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dx-auth-')), 'credentials.json');
  writeFileSync(file, JSON.stringify(document), { mode });
  return file;
}

/** Heartbeat route that only accepts the token the token endpoint issued last. */
function acceptOnly(current: () => string) {
  return (req: SeenRequest) => (bearer(req) === current() ? { json: [] } : { status: 401, json: { detail: 'Invalid JWT' } });
}

describe('pilot credentials', () => {
  it('refreshes an expired access token before the call and writes the rotated pair back atomically, mode 0600', async () => {
    const tokens = rotatingTokenEndpoint();
    server = await startFakeDiracx({
      'POST /api/auth/token': tokens.handler,
      'PATCH /api/jobs/heartbeat': acceptOnly(() => tokens.state.currentAccess),
    });
    const file = credentialFile({ access_token: 'access-0', refresh_token: 'refresh-0', expires_on: Math.floor(Date.now() / 1000) - 10 });
    backend = await createDiracxBackend({ url: server.url, credentials: { file }, retry: FAST_RETRY });
    await backend.heartbeat(new Map([[1, { CPUConsumed: 1 }]]));
    expect(tokens.state.refreshes).toBe(1);
    expect(bearer(server.seen('PATCH /api/jobs/heartbeat')[0]!)).toBe('access-1');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1' });
    expect(saved.expires_on).toBeGreaterThan(Date.now() / 1000 + 1000);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const form = new URLSearchParams(server.seen('POST /api/auth/token')[0]!.body.toString());
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'refresh_token', client_id: 'myDIRACClientID', refresh_token: 'refresh-0' });
  });

  it('refreshes mid-run when the token expires, once for concurrent callers, and never reuses a rotated refresh token', async () => {
    const tokens = rotatingTokenEndpoint({ expiresIn: 1 });
    server = await startFakeDiracx({
      'POST /api/auth/token': async (req) => {
        await new Promise((resolve) => setTimeout(resolve, 30)); // let concurrent callers pile up
        return tokens.handler(req);
      },
      'PATCH /api/jobs/metadata': (req) =>
        bearer(req) === tokens.state.currentAccess ? { status: 204 } : { status: 401, json: { detail: 'expired' } },
    });
    let clock = Date.now();
    backend = await createDiracxBackend({
      url: server.url,
      credentials: { tokens: { accessToken: 'access-0', refreshToken: 'refresh-0', expiresAt: clock + 3_600_000 } },
      retry: FAST_RETRY,
      now: () => clock,
    });
    await backend.setJobMetadata(1, { HostName: 'a' });
    expect(tokens.state.refreshes).toBe(0);
    for (let round = 1; round <= 3; round++) {
      clock += 3_600_000; // the current token has expired
      await Promise.all([1, 2, 3, 4].map((job) => backend!.setJobMetadata(job, { HostName: 'b' })));
      expect(tokens.state.refreshes).toBe(round);
    }
    expect(tokens.state.reused).toBe(false);
    const presented = server.seen('POST /api/auth/token').map((r) => new URLSearchParams(r.body.toString()).get('refresh_token'));
    expect(presented).toEqual(['refresh-0', 'refresh-1', 'refresh-2']);
  });

  it('a 401 triggers one refresh and a retry; a token revoked server-side ends with AUTH_REFUSED and the server detail', async () => {
    const tokens = rotatingTokenEndpoint();
    server = await startFakeDiracx({
      'POST /api/auth/token': tokens.handler,
      'PATCH /api/jobs/heartbeat': acceptOnly(() => tokens.state.currentAccess),
    });
    backend = await createDiracxBackend({
      url: server.url,
      credentials: { tokens: { accessToken: 'stale', refreshToken: 'refresh-0', expiresAt: Date.now() + 3_600_000 } },
      retry: FAST_RETRY,
    });
    await backend.heartbeat(new Map([[7, { LoadAverage: 0.5 }]]));
    expect(server.seen('PATCH /api/jobs/heartbeat').map(bearer)).toEqual(['stale', 'access-1']);

    // The administrator revokes the pilot: every token and refresh token stops working.
    tokens.state.revoked = true;
    tokens.state.currentAccess = 'nothing-is-valid';
    const error = await backend.heartbeat(new Map([[7, { LoadAverage: 0.5 }]])).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'PilotError', exitCode: ExitCode.AUTH_REFUSED });
    expect(String((error as Error).message)).toContain('Invalid refresh token');
    expect(String((error as Error).message)).not.toMatch(/refresh-\d|access-\d/);
  });

  it('refuses a credential file readable by group or others, with exit code CREDENTIALS', async () => {
    const file = credentialFile({ access_token: 'a', refresh_token: 'r', expires_on: 2_000_000_000 }, 0o644);
    const error = await createDiracxBackend({ url: 'http://127.0.0.1:9', credentials: { file } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: ExitCode.CREDENTIALS });
    expect((error as Error).message).toMatch(/accessible by group or others \(mode 0644\)/);
  });

  it('rejects a malformed credential file naming the field', async () => {
    const file = credentialFile({ access_token: 'a', expires_on: 'tomorrow' });
    const error = await createDiracxBackend({ url: 'http://127.0.0.1:9', credentials: { file } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: ExitCode.CREDENTIALS });
    expect((error as Error).message).toContain('expires_on');
  });

  it('exchanges a pilot secret (proposal) and saves the tokens so a restarted pilot does not need the spent secret', async () => {
    const tokens = rotatingTokenEndpoint();
    server = await startFakeDiracx({
      'POST /api/auth/secret-exchange': (req) =>
        JSON.stringify(req.json) === JSON.stringify({ pilot_stamp: 'stamp-1', pilot_secret: 's3cret' })
          ? { json: { access_token: 'access-0', expires_in: 600, refresh_token: 'refresh-0' } }
          : { status: 401, json: { detail: 'bad secret' } },
      'POST /api/auth/token': tokens.handler,
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'dx-secret-'));
    const file = path.join(dir, 'pilot-credentials.json');
    backend = await createDiracxBackend({
      url: server.url,
      credentials: { file, secretExchange: { pilotStamp: 'stamp-1', secret: 's3cret' } },
    });
    await backend.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).refresh_token).toBe('refresh-0');
    backend = await createDiracxBackend({
      url: server.url,
      credentials: { file, secretExchange: { pilotStamp: 'stamp-1', secret: 's3cret' } },
    });
    expect(server.seen('POST /api/auth/secret-exchange')).toHaveLength(1);

    const refused = await createDiracxBackend({
      url: server.url,
      credentials: { secretExchange: { pilotStamp: 'stamp-1', secret: 'wrong' } },
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ exitCode: ExitCode.AUTH_REFUSED });
    expect((refused as Error).message).toContain('bad secret');
  });

  it('never writes a token into the log, whatever happens', async () => {
    const tokens = rotatingTokenEndpoint();
    server = await startFakeDiracx({
      'POST /api/auth/token': tokens.handler,
      'PATCH /api/jobs/heartbeat': acceptOnly(() => tokens.state.currentAccess),
    });
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug', redact: { paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`]), censor: '[redacted]' } },
      {
        write: (line: string) => void lines.push(line),
      },
    );
    const file = credentialFile({ access_token: 'access-0', refresh_token: 'refresh-0', expires_on: Math.floor(Date.now() / 1000) - 10 });
    backend = await createDiracxBackend({ url: server.url, credentials: { file }, retry: FAST_RETRY, logger });
    await backend.heartbeat(new Map([[1, { CPUConsumed: 1 }]]));
    tokens.state.revoked = true;
    tokens.state.currentAccess = 'none';
    await backend.heartbeat(new Map([[1, { CPUConsumed: 2 }]])).catch(() => undefined);
    expect(lines.join('')).toContain('token refreshed');
    expect(lines.join('')).not.toMatch(/access-\d|refresh-\d/);
  });

  it('takes the tokens from a DIRAC proxy and writes rotated ones back into its DIRACX block', async () => {
    const tokens = rotatingTokenEndpoint();
    server = await startFakeDiracx({
      'POST /api/auth/token': tokens.handler,
      'PATCH /api/jobs/heartbeat': acceptOnly(() => tokens.state.currentAccess),
    });
    const cert = '-----BEGIN CERTIFICATE-----\nMIIBproxy\n-----END CERTIFICATE-----\n';
    const block = Buffer.from(JSON.stringify({ access_token: 'access-0', refresh_token: 'refresh-0', expires_on: 1 })).toString('base64');
    const proxy = path.join(mkdtempSync(path.join(tmpdir(), 'dx-proxy-')), 'x509up_u1000');
    writeFileSync(proxy, `${cert}-----BEGIN DIRACX-----\n${block}\n-----END DIRACX-----\n`, { mode: 0o600 });
    backend = await createDiracxBackend({ url: server.url, credentials: { proxyFile: proxy }, retry: FAST_RETRY });
    await backend.heartbeat(new Map([[1, { CPUConsumed: 1 }]]));
    const text = readFileSync(proxy, 'utf8');
    expect(text.startsWith(cert)).toBe(true);
    const inner = /-----BEGIN DIRACX-----\n([\s\S]+?)\n-----END DIRACX-----/.exec(text)![1]!.replace(/\n/g, '');
    expect(JSON.parse(Buffer.from(inner, 'base64').toString())).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1' });
  });
});

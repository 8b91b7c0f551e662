import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { call } from './helpers.js';

let server: DevServer;
let pilot: string;

beforeAll(async () => {
  server = await startDevServer({ features: { pilotLogs: true } });
  pilot = server.issuePilotCredentials().access_token;
});
afterAll(() => server.close());

const register = (stamp: string, vo = 'demo', token = pilot) =>
  call(server, 'POST', '/api/pilots/', { token, json: { pilot_stamp: stamp, vo, grid_site: 'DIRAC.Dev.local' } });

describe('POST /api/pilots/', () => {
  it('registers with 201 and an empty body, then 409 for the same stamp', async () => {
    const first = await register('p-201');
    expect(first.status).toBe(201);
    expect(first.text).toBe('');
    expect(server.pilots.find((p) => p.pilot_stamp === 'p-201')).toMatchObject({
      grid_site: 'DIRAC.Dev.local',
      grid_type: 'DIRAC',
      status: 'Submitted',
      pilot_reference: 'p-201',
    });
    expect((await register('p-201')).status).toBe(409);
  });

  it('answers 403 for another VO, 422 for unknown fields or a stamp over 32 characters', async () => {
    expect((await register('p-other', 'lhcb')).status).toBe(403);
    expect(
      (await call(server, 'POST', '/api/pilots/', { token: pilot, json: { pilot_stamp: 'p-x', vo: 'demo', colour: 'blue' } })).status,
    ).toBe(422);
    expect((await register('x'.repeat(33))).status).toBe(422);
  });

  it('redirects /api/pilots (no slash) with 307 to the absolute URL', async () => {
    const r = await call(server, 'POST', '/api/pilots', { token: pilot, json: { pilot_stamp: 'p-307', vo: 'demo' } });
    expect(r.status).toBe(307);
    expect(r.headers.get('location')).toBe(`${server.url}/api/pilots/`);
  });

  it('refuses a NormalUser token', async () => {
    expect((await register('p-user', 'demo', server.issueUserCredentials().access_token)).status).toBe(403);
  });
});

describe('PATCH /api/pilots/metadata', () => {
  it('updates one stamp (204), refuses two stamps from a pilot (403) and unknown stamps (404)', async () => {
    await register('p-meta-1');
    await register('p-meta-2');
    const one = await call(server, 'PATCH', '/api/pilots/metadata', {
      token: pilot,
      json: { 'p-meta-1': { Status: 'Running', BenchMark: 12.5 } },
    });
    expect(one.status).toBe(204);
    expect(server.pilots.find((p) => p.pilot_stamp === 'p-meta-1')).toMatchObject({ status: 'Running', metadata: { BenchMark: 12.5 } });
    const two = await call(server, 'PATCH', '/api/pilots/metadata', {
      token: pilot,
      json: { 'p-meta-1': { Status: 'Done' }, 'p-meta-2': { Status: 'Done' } },
    });
    expect(two.status).toBe(403);
    expect((await call(server, 'PATCH', '/api/pilots/metadata', { token: pilot, json: { nobody: { Status: 'Done' } } })).status).toBe(404);
    expect(
      (await call(server, 'PATCH', '/api/pilots/metadata', { token: pilot, json: { 'p-meta-1': { Status: 'Sleeping' } } })).status,
    ).toBe(422);
  });
});

describe('proposed POST /api/pilots/internal/message', () => {
  it('stores lines (204) and validates their shape (422)', async () => {
    const lines = [{ timestamp: '2026-01-01T00:00:00Z', severity: 'INFO', message: 'hello', scope: 'pilot' }];
    expect((await call(server, 'POST', '/api/pilots/internal/message', { token: pilot, json: { lines } })).status).toBe(204);
    expect(server.pilotLogs.at(-1)).toMatchObject({ message: 'hello', severity: 'INFO' });
    expect((await call(server, 'POST', '/api/pilots/internal/message', { token: pilot, json: { lines: [{ message: 'x' }] } })).status).toBe(
      422,
    );
  });

  it('is 404 when the feature is off', async () => {
    const plain = await startDevServer();
    try {
      const token = plain.issuePilotCredentials().access_token;
      expect((await call(plain, 'POST', '/api/pilots/internal/message', { token, json: { lines: [] } })).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

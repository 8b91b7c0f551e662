import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultInjector, seededRandom } from '../../src/devserver/faults.js';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { call, HELLO_JDL_FIELDS, stamp } from './helpers.js';

describe('fault decisions', () => {
  it('are the same for the same seed and differ for another', () => {
    const profile = { error5xxRate: 0.2, rate429: 0.2, dropRate: 0.1, truncateRate: 0.1, slowRate: 0.1, slowMs: 1 };
    const run = (seed: number) => {
      const injector = new FaultInjector({ ...profile, seed });
      return Array.from({ length: 200 }, () => injector.decide('/api/x').kind);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    const kinds = new Set(run(7));
    for (const kind of ['none', 'drop', 'error5xx', 'rate429', 'truncate', 'slow']) expect(kinds).toContain(kind);
  });

  it('fire at roughly the configured rate', () => {
    const injector = new FaultInjector({ error5xxRate: 0.3, seed: 3 });
    const count = Array.from({ length: 2000 }, () => injector.decide('/api/x').kind).filter((k) => k === 'error5xx').length;
    expect(count / 2000).toBeGreaterThan(0.25);
    expect(count / 2000).toBeLessThan(0.35);
  });

  it('seededRandom stays in [0, 1)', () => {
    const random = seededRandom(123);
    for (let i = 0; i < 1000; i++) {
      const x = random();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});

describe('faults on the wire and restart', () => {
  let server: DevServer;
  let pilot: string;
  beforeAll(async () => {
    server = await startDevServer();
    pilot = server.issuePilotCredentials().access_token;
  });
  afterAll(() => server.close());

  it('answers 503 and 429 with Retry-After, and leaves /dev routes alone', async () => {
    server.setFaults({ error5xxRate: 1 });
    expect((await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: {} })).status).toBe(503);
    expect((await call(server, 'GET', '/dev/jobs')).status).toBe(200);
    server.setFaults({ rate429: 1, retryAfterSeconds: 7 });
    const limited = await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: {} });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    server.setFaults({});
  });

  it('drops the connection, and truncates a reply after acting on the request', async () => {
    server.setFaults({ dropRate: 1 });
    await expect(call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: {} })).rejects.toThrow();
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
    server.setFaults({ truncateRate: 1 });
    await expect(
      call(server, 'PATCH', '/api/jobs/status', { token: pilot, json: { [id]: { [stamp()]: { Status: 'Matched', Source: 'Matcher' } } } }),
    ).rejects.toThrow();
    server.setFaults({});
    expect(server.job(id)!.status).toBe('Matched');
  });

  it('gives the same sequence of faults for the same seed over HTTP', async () => {
    const sequence = async () => {
      server.setFaults({ error5xxRate: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: {} })).status);
      return statuses;
    };
    const first = await sequence();
    expect(await sequence()).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 503]));
    server.setFaults({});
  });

  it('restart() keeps the port and everything acknowledged; tokens stay valid', async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
    await call(server, 'PATCH', '/api/jobs/status', {
      token: pilot,
      json: { [id]: { [stamp()]: { Status: 'Matched', Source: 'Matcher' } } },
    });
    await call(server, 'POST', '/api/pilots/', { token: pilot, json: { pilot_stamp: 'restart-1', vo: 'demo' } });
    const url = server.url;
    await server.restart();
    expect(server.url).toBe(url);
    expect(server.job(id)!.status).toBe('Matched');
    // A kept-alive connection from before the restart is gone, as with a real restart: retry once.
    const heartbeat = () => call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, json: { [id]: { LoadAverage: 1 } } });
    const r = await heartbeat().catch(heartbeat);
    expect(r.status).toBe(200);
    expect(server.job(id)!.status).toBe('Running');
    expect((await call(server, 'POST', '/api/pilots/', { token: pilot, json: { pilot_stamp: 'restart-1', vo: 'demo' } })).status).toBe(409);
  });
});

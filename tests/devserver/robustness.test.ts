import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { call } from './helpers.js';

let server: DevServer;
let pilot: string;

beforeAll(async () => {
  server = await startDevServer();
  pilot = server.issuePilotCredentials().access_token;
});
afterAll(() => server.close());

/** A raw request, for inputs fetch refuses to send (bad Host, malformed escapes). */
function raw(path: string, headers: Record<string, string> = {}): Promise<number> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('bad input never crashes the server', () => {
  it('answers 422 to a body that is not JSON, naming the parse error', async () => {
    const r = await call(server, 'PATCH', '/api/jobs/heartbeat', { token: pilot, rawBody: '{"1": {' });
    expect(r.status).toBe(422);
    expect((r.json as { detail: { type: string }[] }).detail[0]!.type).toBe('json_invalid');
  });

  it('answers 401 to a malformed bearer token and 404/405 to unknown routes and methods', async () => {
    expect((await call(server, 'PATCH', '/api/jobs/heartbeat', { token: 'not.a.jwt', json: {} })).status).toBe(401);
    expect((await call(server, 'GET', '/api/nothing-here', { token: pilot })).status).toBe(404);
    expect((await call(server, 'DELETE', '/api/jobs/heartbeat', { token: pilot })).status).toBe(405);
  });

  it('answers a malformed path escape and a malformed Host without crashing', async () => {
    expect(await raw('/s3/sandboxes/%E0%A4%A')).toBe(400);
    expect(await raw('/api/jobs/%E0%A4%A/sandbox/output')).toBe(404);
    expect(await raw('/dev/jobs', { host: 'bad host name' })).toBe(400);
    expect((await call(server, 'GET', '/dev/jobs')).status).toBe(200);
  });
});

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A request as the fake server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
}

export interface FakeReply {
  status?: number;
  json?: unknown;
  text?: string;
  raw?: Buffer;
  headers?: Record<string, string>;
}

export type FakeHandler = (req: SeenRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  url: string;
  requests: SeenRequest[];
  /** Requests to one route, e.g. `PATCH /api/jobs/status`. */
  seen(route: string): SeenRequest[];
  route(route: string, handler: FakeHandler): void;
  close(): Promise<void>;
}

/**
 * A tiny stand-in for DiracX in unit tests: routes are `METHOD /path` (query ignored), anything
 * unrouted answers 404 with a FastAPI-style detail. Listens on loopback only.
 */
export async function startFakeDiracx(routes: Record<string, FakeHandler> = {}, tls?: { cert: string; key: string }): Promise<FakeServer> {
  const table = new Map(Object.entries(routes));
  const requests: SeenRequest[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json,
      };
      requests.push(seen);
      const handler = table.get(`${seen.method} ${seen.path}`);
      Promise.resolve(handler ? handler(seen) : { status: 404, json: { detail: `no route ${seen.method} ${seen.path}` } })
        .then((reply) => {
          const headers: Record<string, string> = { ...reply.headers };
          let payload: string | Buffer = '';
          if (reply.json !== undefined) {
            headers['content-type'] = 'application/json';
            payload = JSON.stringify(reply.json);
          } else if (reply.text !== undefined) payload = reply.text;
          else if (reply.raw !== undefined) payload = reply.raw;
          res.writeHead(reply.status ?? 200, headers);
          res.end(payload);
        })
        .catch((error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ detail: String(error) }));
        });
    });
  };
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handle) : createHttpServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    seen: (route) => requests.filter((r) => `${r.method} ${r.path}` === route),
    route: (route, handler) => void table.set(route, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** A token endpoint that rotates refresh tokens and revokes everything when a spent one comes back, like DiracX. */
export function rotatingTokenEndpoint(options: { expiresIn?: number; firstRefresh?: string } = {}) {
  let generation = 0;
  const valid = new Set<string>([options.firstRefresh ?? 'refresh-0']);
  const spent = new Set<string>();
  const state = { reused: false, refreshes: 0, currentAccess: 'access-0', revoked: false };
  const handler: FakeHandler = (req) => {
    const form = new URLSearchParams(req.body.toString('utf8'));
    const token = form.get('refresh_token') ?? '';
    if (form.get('grant_type') !== 'refresh_token' || !form.get('client_id')) {
      return { status: 400, json: { detail: 'bad grant' } };
    }
    if (spent.has(token)) {
      state.reused = true;
      state.revoked = true;
      valid.clear();
      return { status: 401, json: { detail: 'Revoked refresh token reused: all tokens revoked' } };
    }
    if (!valid.has(token) || state.revoked) return { status: 401, json: { detail: 'Invalid refresh token' } };
    valid.delete(token);
    spent.add(token);
    generation++;
    state.refreshes++;
    const next = `refresh-${generation}`;
    valid.add(next);
    state.currentAccess = `access-${generation}`;
    return {
      json: { access_token: state.currentAccess, expires_in: options.expiresIn ?? 1200, token_type: 'Bearer', refresh_token: next },
    };
  };
  return { handler, state };
}

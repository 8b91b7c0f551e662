import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../../src/devserver/faults.js';

/** What the proxy sends instead of the server's reply, for the one route it garbles. */
export type Garble = 'html' | 'truncated-json' | 'wrong-types' | 'empty-200';

export const GARBLES: readonly Garble[] = ['html', 'truncated-json', 'wrong-types', 'empty-200'];

function garbledReply(kind: Garble, res: ServerResponse): void {
  switch (kind) {
    case 'html':
      // A load balancer's error page, served with 200.
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><h1>Service Unavailable</h1></body></html>');
      return;
    case 'truncated-json':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"jobs": [{"job_id": 1, "jdl": "[Exec');
      return;
    case 'wrong-types':
      // Every field a client might read, with the wrong type.
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          jobs: 'none',
          access_token: 42,
          expires_in: 'soon',
          refresh_token: [],
          url: 7,
          pfn: false,
          fields: 'x',
          success: 'yes',
          failed: 1,
          token_endpoint: null,
        }),
      );
      return;
    case 'empty-200':
      res.writeHead(200, { 'content-type': 'application/json' }).end();
      return;
  }
}

/** Answers 500 or 502 to a share of /api requests after the server has acted on them, as a failing gateway does. */
export interface GatewayErrors {
  rate: number;
  seed: number;
}

export interface GarblingProxy {
  url: string;
  /** Requests seen, as `METHOD /path` (query dropped). */
  seen: string[];
  /** How many replies were garbled. */
  garbled: number;
  /** Bodies of the replies to routes matching `record` (passed through untouched). */
  recorded: string[];
  /** Requests answered with a gateway error, as `METHOD /path status`. */
  gatewayErrors: string[];
  close(): Promise<void>;
}

/**
 * A reverse proxy in front of the dev server that passes every request through, except those
 * whose `METHOD /path` matches `route`: those get `kind` instead of the server's answer (the
 * request still reaches the server first, so state moves as it would in production when a reply
 * is mangled on the way back). Replies to routes matching `record` are kept, e.g. to learn
 * every token the server handed out.
 */
export async function startGarblingProxy(
  target: string,
  route: RegExp | null,
  kind: Garble,
  record?: RegExp,
  gateway?: GatewayErrors,
): Promise<GarblingProxy> {
  const upstream = new URL(target);
  const proxy: GarblingProxy = { url: '', seen: [], garbled: 0, recorded: [], gatewayErrors: [], close: async () => undefined };
  const random = seededRandom(gateway?.seed ?? 1);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const key = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    proxy.seen.push(key);
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (reply) => {
        if (route?.test(key)) {
          reply.resume();
          proxy.garbled++;
          garbledReply(kind, res);
          return;
        }
        const draw = random();
        if (gateway && key.includes(' /api/') && draw < gateway.rate) {
          reply.resume();
          const status = draw < gateway.rate / 2 ? 500 : 502;
          proxy.gatewayErrors.push(`${key} ${status}`);
          res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 500 ? 'Internal Server Error' : 'Bad Gateway');
          return;
        }
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        if (record?.test(key)) {
          const chunks: Buffer[] = [];
          reply.on('data', (chunk: Buffer) => chunks.push(chunk));
          reply.on('end', () => proxy.recorded.push(Buffer.concat(chunks).toString('utf8')));
        }
        reply.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}

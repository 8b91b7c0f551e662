/**
 * A TLS server on loopback for the https storage tests: it reads one request head per connection
 * and answers it with the reply its path names, so each test can make the server misbehave in
 * exactly one way.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export interface Seen {
  path: string;
  authorization: string | undefined;
  clientCertificate: boolean;
}

export interface Request {
  method: string;
  /** Request header lines, lower-cased names. */
  headers: Record<string, string>;
  /** What came after the head in the same read: the body's start. */
  rest: Buffer;
}

export type Reply = (tls: TLSSocket, raw: Socket, origin: string, request: Request) => void;

/** A TLS server on loopback: reads one request head, then answers with `replies[path]`. */
export async function replyServer(
  // The server's key and certificate (a TestPki's host): only its shape, so data needs nothing of the dev servers.
  pki: { host: { keyPem: string; certPem: string } },
  replies: Record<string, Reply>,
  seen: Seen[],
): Promise<{ origin: string; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  let origin = '';
  const server = createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => undefined);
    const tls = new TLSSocket(raw, {
      isServer: true,
      key: pki.host.keyPem,
      cert: pki.host.certPem,
      requestCert: true,
      rejectUnauthorized: false,
    });
    tls.on('error', () => undefined);
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const head = received.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      tls.off('data', onData);
      const [requestLine, ...lines] = head.slice(0, end).split('\r\n');
      const [method, path] = requestLine!.split(' ') as [string, string];
      const request: Request = {
        method,
        headers: Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])),
        rest: received.subarray(end + 4),
      };
      const auth = lines.find((l) => /^authorization:/i.test(l));
      seen.push({ path, authorization: auth?.replace(/^[^:]*:\s*/, ''), clientCertificate: !!tls.getPeerCertificate()?.subject });
      const reply = replies[path.replace(/\?.*$/, '')];
      if (reply) reply(tls, raw, origin, request);
      else tls.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    };
    tls.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://localhost:${(server.address() as { port: number }).port}`;
  return { origin, server, sockets };
}

export const head = (lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;

import net from 'node:net';
import tls from 'node:tls';

/**
 * The server faults of issue 16's SIGTERM matrix, between a pilot and a TLS dev server on
 * loopback. The proxy terminates TLS itself (so it can see each request and trip on one) and
 * speaks TLS to the dev server, which keeps building its presigned URLs from the Host header:
 * sandbox transfers go through the proxy too.
 *  - `refused`: nothing listens any more (ECONNREFUSED).
 *  - `black-hole`: connections are accepted and never answered, not even the TLS handshake; a
 *    request in flight when the fault trips gets no reply.
 *  - `tls-mismatch`: a plain-HTTP server on the port of the `https://` URL (a TLS ClientHello
 *    answered by `400 Bad Request` in clear).
 *  - `503-storm`: every request answered 503.
 *  - `drip`: every request answered 200 with a long body, one byte a second.
 */
export const PROXY_FAULTS = ['refused', 'black-hole', 'tls-mismatch', '503-storm', 'drip'] as const;
export type ProxyFault = (typeof PROXY_FAULTS)[number];

export interface FaultProxy {
  readonly url: string;
  /** Requests (or connections) that met the fault. */
  readonly faulted: number;
  /** Whether the fault is on. */
  readonly tripped: boolean;
  /** The fault, from now on: connections open now are cut (those in the middle of a request meet the fault). */
  trip(): void;
  /**
   * Trip when a request whose head or body matches `pattern` comes through; that request meets
   * the fault. `only: true`: that request alone (a stalled storage transfer while the API answers).
   */
  tripOn(pattern: RegExp, options?: { only?: boolean }): void;
  close(): Promise<void>;
}

export async function startFaultProxy(options: {
  upstreamPort: number;
  fault: ProxyFault;
  cert: string;
  key: string;
}): Promise<FaultProxy> {
  const { fault } = options;
  const context = tls.createSecureContext({ cert: options.cert, key: options.key });
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let tripped = false;
  let faulted = 0;
  let pattern: RegExp | null = null;
  let only = false;
  let passing: Array<{ client: tls.TLSSocket; upstream: tls.TLSSocket; busy: () => boolean }> = [];

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };

  /** Answers a decrypted (TLS) connection with the HTTP-level fault. */
  const answerFaulty = (client: tls.TLSSocket, firstChunk: Buffer | null) => {
    const respond = () => {
      faulted++;
      if (fault === '503-storm') {
        client.end(
          'HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 27\r\nconnection: close\r\n\r\n{"detail":"storm of 503s"}\n',
        );
      } else if (fault === 'drip') {
        client.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n');
        const timer = setInterval(() => (client.destroyed ? clearInterval(timer) : client.write(' ')), 1000);
        timers.add(timer);
        client.on('close', () => clearInterval(timer));
      }
      // black-hole: nothing, ever.
    };
    if (firstChunk) respond();
    else client.once('data', respond);
  };

  /** What a connection arriving after the fault meets, before any TLS. */
  const rawFault = (socket: net.Socket) => {
    if (fault === 'black-hole') {
      faulted++;
      return; // accepted, never answered
    }
    if (fault === 'tls-mismatch') {
      socket.once('data', () => {
        faulted++;
        socket.end(
          'HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 46\r\nconnection: close\r\n\r\nThe plain HTTP request was sent to HTTPS port\n',
        );
      });
      return;
    }
    // 503-storm, drip: an HTTPS server that answers badly.
    const client = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
    track(client);
    answerFaulty(client, null);
  };

  const trip = () => {
    if (tripped) return;
    tripped = true;
    if (fault === 'refused') server.close();
    // Pooled keep-alive connections must meet the fault too: cut them (one in the middle of a
    // request is what tripped it, or gets the fault's answer where there is one).
    for (const pair of passing) {
      pair.upstream.destroy();
      if (pair.busy() && (fault === '503-storm' || fault === 'drip' || fault === 'black-hole')) {
        answerFaulty(pair.client, Buffer.alloc(0));
      } else {
        if (pair.busy()) faulted++;
        pair.client.destroy();
      }
    }
    passing = [];
    if (fault === 'refused') for (const socket of sockets) socket.destroy();
  };

  const server = net.createServer((socket) => {
    track(socket);
    if (tripped && !only) return rawFault(socket);
    const client = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
    track(client);
    const upstream = tls.connect({ host: '127.0.0.1', port: options.upstreamPort, rejectUnauthorized: false });
    track(upstream);
    // A request is in flight from its first bytes until the dev server's reply starts coming back.
    let busy = false;
    const pair = { client, upstream, busy: () => busy };
    passing.push(pair);
    let faultedHere = false;
    client.on('data', (chunk: Buffer) => {
      if (faultedHere || (tripped && !only)) return;
      if (pattern?.test(chunk.toString('latin1'))) {
        busy = true;
        if (only) {
          faultedHere = true;
          // This request alone: its connection gets the fault's answer (http-level faults only).
          pattern = null;
          upstream.destroy();
          passing = passing.filter((p) => p !== pair);
          if (fault === '503-storm' || fault === 'drip' || fault === 'black-hole') answerFaulty(client, chunk);
          else client.destroy();
          tripped = true;
          faulted += fault === '503-storm' || fault === 'drip' || fault === 'black-hole' ? 0 : 1;
          return;
        }
        trip();
        return;
      }
      busy = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      busy = false;
      if (!client.destroyed) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      passing = passing.filter((p) => p !== pair);
    };
    client.on('close', end);
    upstream.on('close', () => {
      if (!tripped || (only && !faultedHere)) end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: `https://127.0.0.1:${port}`,
    get faulted() {
      return faulted;
    },
    get tripped() {
      return tripped;
    },
    trip,
    tripOn(p, tripOptions) {
      pattern = p;
      only = tripOptions?.only === true;
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

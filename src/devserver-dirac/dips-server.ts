/**
 * A DIPS server for tests and the demo: TLS with proxy client certificates, DISET framing, one
 * call per connection (proposal → S_OK → arguments → result) and FileTransfer both ways, with the
 * same chunk/acknowledge/MD5 protocol as DIRAC's FileHelper.
 */
import { X509Certificate, createHash } from 'node:crypto';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { PyValue } from '../dirac/codec/index.js';
import { DipsConnection } from '../dirac/dips/connection.js';
import { PeerVerifier } from './peer-chain.js';

export interface CallContext {
  identityDN: string;
  service: string;
}

export type Handler = (args: unknown[], ctx: CallContext) => PyValue | Promise<PyValue>;

export interface ServiceHandlers {
  rpc: Record<string, Handler>;
  /** FileTransfer ToClient: the bytes for fileId, or an error message. */
  toClient?: (fileId: unknown, token: unknown, ctx: CallContext) => Promise<Buffer | { error: string }>;
  /** FileTransfer FromClient: store the received bytes and return the call's result. */
  fromClient?: (fileId: unknown, token: unknown, data: Buffer, ctx: CallContext) => Promise<PyValue>;
}

export const sOK = (value: PyValue = null): PyValue => ({ OK: true, Value: value });
export const sERROR = (message: string, errno = 0): PyValue => ({ OK: false, Errno: errno, Message: message });

export interface DipsServerOptions {
  certPem: string;
  keyPem: string;
  caPems: readonly string[];
  services: Record<string, ServiceHandlers>;
  /** Called after each call, for tests that check what a client sent. */
  onCall?: (record: DipsCallRecord) => void;
  /**
   * The DNs of Registry/Hosts: a client that proposes with extraCredentials "hosts" (DIRAC's
   * useCertificates, the pilot's -c) is refused unless its certificate's DN is one of them, as
   * DIRAC's AuthManager refuses a host it does not know.
   */
  hostDNs?: () => ReadonlySet<string>;
}

/** What the dev server records of a call: the service, the method and its arguments, who made it and how. */
export interface DipsCallRecord {
  service: string;
  method: string;
  args: unknown[];
  /** The identity of the client's certificate chain. */
  identityDN?: string;
  /** The proposal's extraCredentials: "" for a proxy, "hosts" for a host certificate. */
  extraCredentials?: unknown;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

const CHUNK = 1024 * 1024;

/**
 * DIRAC's rule for host credentials (AuthManager, Tornado's BaseRequestHandler): a client claiming
 * extraCredentials "hosts" must be a host of Registry/Hosts, and a host certificate without that
 * claim is looked up among the users, where it is not. Null when the call may go on.
 */
export function refusedHost(extraCredentials: unknown, identityDN: string, hostDNs: ReadonlySet<string> | undefined): string | null {
  const isHost = hostDNs?.has(identityDN) === true;
  if (extraCredentials === 'hosts' && !isHost) return `host ${identityDN} is not in Registry/Hosts`;
  if (extraCredentials !== 'hosts' && isHost) return `${identityDN} is a host: it must say so (extraCredentials "hosts")`;
  return null;
}

export async function startDipsServer(options: DipsServerOptions): Promise<RunningServer> {
  const verifier = new PeerVerifier(options.caPems.map((pem) => new X509Certificate(pem)));
  const server = tls.createServer({
    cert: options.certPem,
    key: options.keyPem,
    ca: [...options.caPems],
    requestCert: true,
    rejectUnauthorized: false,
  });
  const sockets = new Set<tls.TLSSocket>();
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    void converse(socket, verifier, options).catch(() => socket.destroy());
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function converse(socket: tls.TLSSocket, verifier: PeerVerifier, options: DipsServerOptions): Promise<void> {
  const connection = new DipsConnection(socket, { host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 }, 'json', 30_000);
  try {
    const check = verifier.check(socket);
    const proposal = (await connection.receive('proposal')) as { Value?: unknown };
    // Answer a v8 (DEncode) client in DEncode, as its server would.
    connection.encoding = connection.peerSentDEncode ? 'dencode' : 'json';
    const parts = Array.isArray(proposal?.Value) ? proposal.Value : [];
    const [target, action, extraCredentials] = parts as [unknown, unknown, unknown];
    const service = Array.isArray(target) && typeof target[0] === 'string' ? target[0] : '';
    const [kind, method] = Array.isArray(action) ? (action as [unknown, unknown]) : [undefined, undefined];
    if (!check.ok) {
      connection.send(sERROR(`Unauthorized query ( 1111 : ${check.reason})`, 1111));
      return;
    }
    const hostRefusal = refusedHost(extraCredentials, check.identityDN, options.hostDNs?.());
    if (hostRefusal) {
      connection.send(sERROR(`Unauthorized query ( 1111 : ${hostRefusal})`, 1111));
      return;
    }
    const who = { identityDN: check.identityDN, extraCredentials: extraCredentials ?? '' };
    const handlers = options.services[service];
    if (!handlers || typeof method !== 'string') {
      connection.send(sERROR(`Unknown service or action ${service} ${String(method)}`, 1111));
      return;
    }
    const ctx: CallContext = { identityDN: check.identityDN, service };
    if (kind === 'RPC') {
      const handler = handlers.rpc[method];
      if (!handler) {
        connection.send(sERROR(`Unknown method ${method}`));
        return;
      }
      connection.send(sOK());
      const request = (await connection.receive('arguments')) as { Value?: unknown };
      const args = Array.isArray(request?.Value) ? request.Value : [];
      options.onCall?.({ service, method, args, ...who });
      connection.send(await handler(args, ctx));
    } else if (kind === 'FileTransfer' && method === 'ToClient' && handlers.toClient) {
      connection.send(sOK());
      const header = (await connection.receive('transfer header')) as { Value?: unknown[] };
      const [fileId, token] = header?.Value ?? [];
      options.onCall?.({ service, method: 'ToClient', args: [fileId, token], ...who });
      const data = await handlers.toClient(fileId, token, ctx);
      if (!Buffer.isBuffer(data)) {
        connection.send(sERROR(data.error));
        return;
      }
      connection.send(sOK('Accepted'));
      const md5 = createHash('md5');
      for (let offset = 0; offset < data.length; offset += CHUNK) {
        const chunk = data.subarray(offset, offset + CHUNK);
        md5.update(chunk);
        connection.send(sOK([true, new Uint8Array(chunk)]));
        await connection.receive('chunk acknowledgement');
      }
      connection.send(sOK([false, md5.digest('hex')]));
      connection.send(sOK());
    } else if (kind === 'FileTransfer' && method === 'FromClient' && handlers.fromClient) {
      connection.send(sOK());
      const header = (await connection.receive('transfer header')) as { Value?: unknown[] };
      const [fileId, token] = header?.Value ?? [];
      connection.send(sOK('Accepted'));
      const chunks: Buffer[] = [];
      const md5 = createHash('md5');
      for (;;) {
        const frame = (await connection.receive('file chunk')) as { Value?: [boolean, unknown] };
        const [more, data] = frame?.Value ?? [false, ''];
        if (!more) {
          if (data !== md5.digest('hex')) {
            connection.send(sERROR('Error in the file CRC'));
            return;
          }
          break;
        }
        const buf = data instanceof Uint8Array ? Buffer.from(data) : Buffer.from(String(data), 'latin1');
        md5.update(buf);
        chunks.push(buf);
        connection.send(sOK());
      }
      options.onCall?.({ service, method: 'FromClient', args: [fileId, token], ...who });
      connection.send(await handlers.fromClient(fileId, token, Buffer.concat(chunks), ctx));
    } else {
      connection.send(sERROR(`Unsupported action ${String(kind)} ${method}`));
    }
  } finally {
    // Let the last frame leave before closing.
    await new Promise((resolve) => setTimeout(resolve, 10));
    connection.close();
  }
}

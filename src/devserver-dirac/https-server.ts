/**
 * DIRAC's Tornado services, enough for tests and the demo: `POST /System/Service` with form fields
 * `method` and `args` (JEncode list), proxy client certificates, JEncode replies (gzip when the
 * client accepts it), `rawContent` streams as octet-stream. HTTP codes as Tornado uses them:
 * 400 no method, 501 unknown method, 401 authentication failure.
 */
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { jdecode, jencode, type PyValue } from '../dirac/codec/index.js';
import { refusedHost, type DipsCallRecord, type RunningServer, type ServiceHandlers } from './dips-server.js';
import { PeerVerifier } from './peer-chain.js';

export interface HttpsServerOptions {
  certPem: string;
  keyPem: string;
  caPems: readonly string[];
  /** Keyed by `System/Service` as in the URL path, e.g. `WorkloadManagement/TornadoJobStateUpdate`. */
  services: Record<string, ServiceHandlers & { raw?: Record<string, (args: unknown[]) => Promise<Buffer | PyValue>> }>;
  onCall?: (record: DipsCallRecord) => void;
  /** Registry/Hosts DNs, for the host rule DIPS applies too (dips-server.ts, refusedHost). */
  hostDNs?: () => ReadonlySet<string>;
  /**
   * Refuse proxy certificates in the TLS handshake (OpenSSL's default, without the allow-proxy
   * flag), as Tornado with Debian's M2Crypto does: the client's handshake completes under TLS 1.3
   * and the server then closes the connection.
   */
  refuseProxies?: boolean;
}

const MAX_BODY = 32 * 1024 * 1024;

export async function startHttpsServer(options: HttpsServerOptions): Promise<RunningServer> {
  const verifier = new PeerVerifier(options.caPems.map((pem) => new X509Certificate(pem)));
  const server = https.createServer(
    {
      cert: options.certPem,
      key: options.keyPem,
      ca: [...options.caPems],
      requestCert: true,
      rejectUnauthorized: options.refuseProxies === true,
    },
    (req, res) => {
      const send = (status: number, body: string | Buffer, type = 'application/json'): void => {
        const gzip = typeof body === 'string' && body.length > 512 && /gzip/.test(String(req.headers['accept-encoding'] ?? ''));
        const payload = gzip ? gzipSync(body) : body;
        res.writeHead(status, { 'content-type': type, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
        res.end(payload);
      };
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) req.destroy();
        else chunks.push(chunk);
      });
      req.on('end', () => {
        void (async () => {
          const check = verifier.check(req.socket as TLSSocket);
          if (!check.ok) return send(401, jencode({ OK: false, Errno: 1111, Message: check.reason }));
          if (req.method !== 'POST') return send(405, 'POST only', 'text/plain');
          const service = (req.url ?? '').replace(/^\/+|\/+$/g, '').split('?')[0]!;
          const handlers = options.services[service];
          const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
          const method = form.get('method');
          if (!method) return send(400, 'Missing method', 'text/plain');
          let args: unknown[];
          try {
            const decoded = jdecode(form.get('args') ?? '[]').value;
            args = Array.isArray(decoded) ? decoded : [];
          } catch {
            return send(400, 'args is not JSON', 'text/plain');
          }
          // TornadoBaseClient sends extraCredentials JEncoded ("hosts" for a host certificate) when it has any.
          let extraCredentials: unknown = '';
          try {
            extraCredentials = form.has('extraCredentials') ? jdecode(form.get('extraCredentials')!).value : '';
          } catch {
            return send(400, 'extraCredentials is not JSON', 'text/plain');
          }
          const hostRefusal = refusedHost(extraCredentials, check.identityDN, options.hostDNs?.());
          if (hostRefusal) return send(401, jencode({ OK: false, Errno: 1111, Message: hostRefusal }));
          options.onCall?.({ service, method, args, identityDN: check.identityDN, extraCredentials });
          const raw = form.get('rawContent') === 'True' ? handlers?.raw?.[method] : undefined;
          if (raw) {
            const result = await raw(args);
            return Buffer.isBuffer(result) ? send(200, result, 'application/octet-stream') : send(200, jencode(result));
          }
          const handler = handlers?.rpc[method];
          if (!handler) return send(501, `Unknown method ${method}`, 'text/plain');
          return send(200, jencode(await handler(args, { identityDN: check.identityDN, service })));
        })().catch((error: unknown) => send(500, String(error), 'text/plain'));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * TLS to DIRAC services with an RFC 3820 proxy as client certificate. Node hands the proxy chain
 * (proxy + user certificate) to OpenSSL as `cert`; the server side allows proxy certificates.
 * Failures become PilotErrors: TLS problems exit with ExitCode.TLS, unreachable servers with
 * ExitCode.SERVER_UNREACHABLE, each with one line saying which server and why.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { assertProxyValid, type ProxyCredentials } from '../x509/proxy-file.js';

export interface TlsCredentials {
  proxy: ProxyCredentials;
  /** Trust anchors, PEM (from X509_CERT_DIR). */
  ca: readonly string[];
}

export interface TlsTarget {
  host: string;
  port: number;
  /** SNI and certificate name to check; defaults to the host when it is a name. */
  servername?: string;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

/** Explains a socket error in one line, classified for the pilot's exit code. */
export function classifySocketError(error: unknown, target: TlsTarget): PilotError {
  if (error instanceof PilotError) return error;
  const err = error as NodeJS.ErrnoException & { reason?: string };
  const where = `${target.host}:${target.port}`;
  const code = err.code ?? '';
  if (UNREACHABLE.has(code)) return new PilotError(ExitCode.SERVER_UNREACHABLE, `${where}: ${code} (${err.message})`, { cause: error });
  const tlsLike =
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code.includes('CERT') ||
    code.includes('SIGNATURE') ||
    code.includes('ISSUER') ||
    /certificate|handshake|alert|ssl/i.test(err.message ?? '');
  if (tlsLike)
    return new PilotError(ExitCode.TLS, `TLS with ${where} failed: ${code ? `${code}: ` : ''}${err.reason ?? err.message}`, {
      cause: error,
    });
  return new PilotError(ExitCode.SERVER_UNREACHABLE, `${where}: ${err.message ?? String(error)}`, { cause: error });
}

/** Opens a verified TLS connection; resolves once the handshake is done. */
export function connectTls(target: TlsTarget, credentials: TlsCredentials, timeoutMs: number): Promise<tls.TLSSocket> {
  assertProxyValid(credentials.proxy);
  const servername = target.servername ?? (isIP(target.host) ? undefined : target.host);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      ...(servername ? { servername } : {}),
      cert: credentials.proxy.certPem,
      key: credentials.proxy.keyPem,
      ca: [...credentials.ca],
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new PilotError(ExitCode.SERVER_UNREACHABLE, `${target.host}:${target.port}: no TLS handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(classifySocketError(error, target));
    });
  });
}

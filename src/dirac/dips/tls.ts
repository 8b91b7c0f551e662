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
  const err = error as { code?: unknown; message?: string; name?: string; reason?: string };
  const where = `${target.host}:${target.port}`;
  // Not every error has a string code: the DOMException of an aborted or timed-out fetch carries
  // a number (TimeoutError is 23), which says nothing about the socket.
  const code = typeof err.code === 'string' ? err.code : '';
  if (
    err.name === 'TimeoutError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return new PilotError(ExitCode.SERVER_UNREACHABLE, `${where}: no reply in time (${err.message ?? err.name ?? 'timeout'})`, {
      cause: error,
    });
  }
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

/**
 * Was a connection that the server closed before replying refused at the TLS layer? With TLS 1.3
 * the client finishes its side of the handshake before the server has checked the client
 * certificate, so a server that refuses the proxy (a Tornado whose M2Crypto does not allow proxy
 * certificates) just closes, and the HTTP client sees "other side closed", as after a network
 * drop, or not at all: DIRAC's Tornado sends the alert and keeps the connection open, so the
 * call only times out. A fresh connection tells them apart: a server that accepted us keeps an
 * idle connection open in silence; one that refused our chain sends an alert or closes it at once,
 * before we send a byte.
 */
export async function diagnoseRefusedTls(target: TlsTarget, credentials: TlsCredentials, waitMs = 1000): Promise<PilotError | null> {
  let socket: tls.TLSSocket;
  try {
    socket = await connectTls(target, credentials, Math.max(waitMs, 5000));
  } catch (error) {
    return error instanceof PilotError && error.exitCode === ExitCode.TLS ? error : null;
  }
  const closed = await new Promise<{ ended: boolean; alert?: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ ended: false }), waitMs);
    const done = (error?: unknown) => {
      clearTimeout(timer);
      const code = (error as { code?: unknown } | undefined)?.code;
      resolve({ ended: true, ...(typeof code === 'string' ? { alert: code } : {}) });
    };
    socket.once('end', () => done());
    socket.once('close', () => done());
    socket.once('error', done);
  });
  socket.destroy();
  if (!closed.ended) return null;
  return new PilotError(
    ExitCode.TLS,
    `TLS with ${target.host}:${target.port} refused: ${closed.alert ? `the server sent ${closed.alert}` : 'the server closed the connection'} right after the handshake, before any request (it does not accept this proxy certificate)`,
  );
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

/**
 * What went wrong below HTTP: decides whether a request may be retried and which exit code a
 * final failure carries.
 *  - `not-sent`: the request never reached the server (refused, DNS, connect timeout): always safe to retry.
 *  - `ambiguous`: it may have reached the server (reset, read timeout): retry only idempotent calls.
 *  - `tls`: the server's certificate was not trusted: never retried, retrying cannot fix it.
 *  - `aborted`: the caller abandoned it (the pilot is stopping): never retried.
 *  - `too-large`: a download went past its size limit: never retried, the same reply would come back.
 */
export type TransportFailure = 'not-sent' | 'ambiguous' | 'tls' | 'aborted' | 'too-large';

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CONNECT_TIMEOUT',
  'ENONET',
]);

const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH/;

export class TransportError extends Error {
  readonly failure: TransportFailure;
  readonly code: string;
  constructor(failure: TransportFailure, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
    this.failure = failure;
    this.code = code;
  }
}

function errorCode(error: unknown): string {
  // An error may wrap the socket's error in `cause`; the innermost code is the telling one.
  let current: unknown = error;
  let code = '';
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const candidate = (current as { code?: unknown }).code;
    if (typeof candidate === 'string') code = candidate;
    current = (current as { cause?: unknown }).cause;
  }
  return code;
}

function innermostMessage(error: unknown): string {
  let current: unknown = error;
  let message = String(error);
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const candidate = (current as { message?: unknown }).message;
    if (typeof candidate === 'string' && candidate) message = candidate;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}

/** Turn whatever the HTTP stack threw into a classified TransportError (single line message). */
export function classifyTransportError(error: unknown, target: string): TransportError {
  if (error instanceof TransportError) return error;
  const code = errorCode(error);
  const detail = innermostMessage(error).split('\n')[0] ?? '';
  // EPROTO: the handshake itself failed, e.g. an https:// URL for a plain-HTTP port ("wrong version number").
  if (code === 'EPROTO') {
    return new TransportError(
      'tls',
      code,
      `TLS handshake with ${target} failed: ${detail} (is this an https:// URL for a plain-HTTP port?)`,
      { cause: error },
    );
  }
  if (TLS_CODE.test(code)) {
    return new TransportError('tls', code, `TLS verification of ${target} failed: ${code} ${detail}`.trim(), { cause: error });
  }
  const failure: TransportFailure = NOT_SENT_CODES.has(code) ? 'not-sent' : 'ambiguous';
  return new TransportError(failure, code || 'UNKNOWN', `${target}: ${code ? `${code} ` : ''}${detail}`.trim(), { cause: error });
}

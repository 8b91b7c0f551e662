/** Why a data operation failed, so the job path can decide as DIRAC does (next replica, failover, reschedule). */
export type DataErrorKind =
  /** Storage or catalog not reachable (refused, DNS, TLS). */
  | 'unreachable'
  /** No answer in time. */
  | 'timeout'
  /** The file is not there. */
  | 'not-found'
  /** Size or checksum differ from the catalog's: a corrupt replica. */
  | 'corrupt'
  /** The server refused the credentials or the operation. */
  | 'denied'
  /** A tool the protocol needs (xrdcp) is not installed. */
  | 'missing-tool'
  /** A name the job controls points outside its directory, or is not a valid LFN. */
  | 'bad-name'
  /** Not enough room in the job's share of the disk. */
  | 'no-space'
  /** The pilot is stopping. */
  | 'aborted'
  | 'other';

export class DataError extends Error {
  constructor(
    readonly kind: DataErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DataError';
  }
}

export function asDataError(error: unknown, fallback: DataErrorKind = 'other'): DataError {
  if (error instanceof DataError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e?.name === 'AbortError') return new DataError('aborted', 'stopped: the pilot is shutting down');
  const code = e?.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET'].includes(code)) {
    return new DataError('unreachable', `${code}: ${e.message}`);
  }
  if (['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'].includes(code)) {
    return new DataError('timeout', `${code}: ${e.message}`);
  }
  if (code === 'ENOENT') return new DataError('not-found', e.message);
  if (code === 'ENOSPC' || code === 'EDQUOT') return new DataError('no-space', e.message);
  if (code === 'EACCES' || code === 'EPERM') return new DataError('denied', e.message);
  return new DataError(fallback, e?.message ?? String(error));
}

/**
 * Where an LFN lives on a storage element: DIRAC builds the URL from the SE's access section as
 * protocol://host:port + WSUrl + Path + LFN. This pilot speaks file, root (xrdcp) and
 * https/davs (undici); other protocols in the CS are skipped.
 */
import type { StorageElementConfig, StorageEndpoint } from '../types.js';
import { DataError } from '../errors.js';

export const SUPPORTED_PROTOCOLS = ['file', 'root', 'https', 'davs'] as const;
export type SupportedProtocol = (typeof SUPPORTED_PROTOCOLS)[number];

export function isSupported(protocol: string): protocol is SupportedProtocol {
  return (SUPPORTED_PROTOCOLS as readonly string[]).includes(protocol);
}

/** An LFN is an absolute path without `.`/`..` segments or control characters. */
export function checkLfn(lfn: string): string {
  const bare = lfn.replace(/^LFN:/i, '');
  if (
    !bare.startsWith('/') ||
    bare.split('/').some((part) => part === '.' || part === '..') ||
    // Control characters are what this check is for.
    // eslint-disable-next-line no-control-regex
    /[\0-\x1f\x7f]/.test(bare) ||
    bare.endsWith('/')
  ) {
    throw new DataError('bad-name', `not a valid LFN: ${JSON.stringify(lfn)}`);
  }
  return bare.replace(/\/{2,}/g, '/');
}

function joinPath(...parts: string[]): string {
  return `/${parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter((p) => p !== '').join('/')}`;
}

export function endpointUrl(endpoint: StorageEndpoint, lfn: string): string {
  const path = joinPath(endpoint.wsUrl, endpoint.path, checkLfn(lfn));
  const hostPort = endpoint.host ? `${endpoint.host}${endpoint.port ? `:${endpoint.port}` : ''}` : '';
  switch (endpoint.protocol) {
    case 'file':
      return `file://${path}`;
    case 'root':
      // xrootd's canonical form has the path after a second slash.
      return `root://${hostPort}/${path}`;
    default:
      return `${endpoint.protocol}://${hostPort}${path}`;
  }
}

/**
 * The endpoints of an SE this pilot can use, best first: in the order of `preferred` (the CS's
 * protocol lists) when given, else as the SE lists them.
 */
export function usableEndpoints(se: StorageElementConfig, preferred: readonly string[] = []): StorageEndpoint[] {
  const usable = se.endpoints.filter((e) => isSupported(e.protocol));
  if (preferred.length === 0) return usable;
  const rank = (e: StorageEndpoint): number => {
    const i = preferred.indexOf(e.protocol);
    return i < 0 ? preferred.length : i;
  };
  return [...usable].sort((a, b) => rank(a) - rank(b));
}

/** davs:// is WebDAV over TLS: the same requests as https://. */
export function httpUrl(url: string): string {
  return url.replace(/^davs:/, 'https:');
}

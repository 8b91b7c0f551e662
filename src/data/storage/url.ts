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

/** Where an endpoint stands in a protocol preference list (not listed: after all listed). */
function rank(list: readonly string[], endpoint: StorageEndpoint): number {
  const i = list.indexOf(endpoint.protocol);
  return i < 0 ? list.length : i;
}

/** Sorted by the list, then sections open to remote use after the others (DIRAC sorts False < True). */
function byPreference(endpoints: StorageEndpoint[], list: readonly string[]): StorageEndpoint[] {
  return [...endpoints].sort((a, b) => rank(list, a) - rank(list, b) || Number(a.access === 'remote') - Number(b.access === 'remote'));
}

/**
 * The endpoints a read (getFile) or a write (putFile) may use, best first, as DIRAC's
 * StorageElement filters its plugins: only protocols in the SE's AccessProtocols (reads) or
 * WriteProtocols (writes), in that order; a section whose Access is not `remote` only when the SE
 * is one of the site's own; of those, the ones this pilot speaks.
 */
export function transferEndpoints(se: StorageElementConfig, use: 'read' | 'write', seIsLocal: boolean): StorageEndpoint[] {
  const allowed = use === 'read' ? se.accessProtocols : se.writeProtocols;
  const usable = se.endpoints.filter(
    (e) => isSupported(e.protocol) && allowed.includes(e.protocol) && (e.access === 'remote' || seIsLocal),
  );
  return byPreference(usable, allowed);
}

/**
 * The endpoints that can give a URL in one of `protocols` (all when empty), ordered by the SE's
 * AccessProtocols: StorageElement.getURL (the TURLs of InputDataByProtocol, the PFN registered).
 */
export function urlEndpoints(se: StorageElementConfig, protocols: readonly string[]): StorageEndpoint[] {
  const usable = se.endpoints.filter((e) => isSupported(e.protocol) && (protocols.length === 0 || protocols.includes(e.protocol)));
  return byPreference(usable, se.accessProtocols);
}

/** The protocols an SE lists, for an error that says why none could be used. */
export function protocolsSaid(se: StorageElementConfig, use: 'read' | 'write'): string {
  const allowed = use === 'read' ? se.accessProtocols : se.writeProtocols;
  return `${use === 'read' ? 'AccessProtocols' : 'WriteProtocols'} ${allowed.join(', ')}; sections ${
    se.endpoints.map((e) => `${e.protocol}${e.access ? `/${e.access}` : ''}`).join(', ') || 'none'}`;
}

/** davs:// is WebDAV over TLS: the same requests as https://. */
export function httpUrl(url: string): string {
  return url.replace(/^davs:/, 'https:');
}

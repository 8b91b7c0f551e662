/**
 * Where an LFN lives on a storage element: DIRAC builds the URL from the SE's access section as
 * protocol://host:port + WSUrl + Path + LFN. This pilot speaks file, root (xrdcp) and
 * https/davs (node:tls/node:https); other protocols in the CS are skipped.
 */
import type { StorageElementConfig, StorageEndpoint } from '../types.js';
import { DataError } from '../errors.js';

export const SUPPORTED_PROTOCOLS = ['file', 'root', 'https', 'davs'] as const;
export type SupportedProtocol = (typeof SUPPORTED_PROTOCOLS)[number];

export function isSupported(protocol: string): protocol is SupportedProtocol {
  return (SUPPORTED_PROTOCOLS as readonly string[]).includes(protocol);
}

/**
 * What a URL parser reads as a dot segment or a separator although checkLfn's plain split does not:
 * `%2e%2e`, `.%2E` (WHATWG URLs normalise them away: `file:///se/vo/%2e%2e/%2e%2e/home` is
 * `/home`), an encoded slash or backslash, which a storage server may decode.
 */
function decodedSegmentEscapes(part: string): boolean {
  if (!part.includes('%')) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(part);
  } catch {
    return false; // a lone `%` decodes to nothing special
  }
  return decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\\');
}

/**
 * An LFN is an absolute path without `.`/`..` segments (written plainly or percent-encoded),
 * control characters, a backslash (a `/` to URL parsers of file and http URLs), or `?`/`#` (a query or
 * fragment: the path cut short, or xrootd CGI options added): an LFN is a job's to choose, and
 * becomes a path on a storage element (a file:// SE is a directory of this node).
 */
export function checkLfn(lfn: string): string {
  const bare = lfn.replace(/^LFN:/i, '');
  if (
    !bare.startsWith('/') ||
    bare.split('/').some((part) => part === '.' || part === '..' || decodedSegmentEscapes(part)) ||
    // Control characters are what this check is for.
    // eslint-disable-next-line no-control-regex
    /[\0-\x1f\x7f\\?#]/.test(bare) ||
    bare.endsWith('/')
  ) {
    throw new DataError('bad-name', `not a valid LFN: ${JSON.stringify(lfn)}`);
  }
  return bare.replace(/\/{2,}/g, '/');
}

function joinPath(...parts: string[]): string {
  return `/${parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/')}`;
}

export function endpointUrl(endpoint: StorageEndpoint, lfn: string): string {
  const path = joinPath(endpoint.wsUrl, endpoint.path, checkLfn(lfn));
  const hostPort = endpoint.host ? `${endpoint.host}${endpoint.port ? `:${endpoint.port}` : ''}` : '';
  switch (endpoint.protocol) {
    case 'file':
      return samePath(`file://${path}`, path);
    case 'root':
      // xrootd's canonical form has the path after a second slash.
      return `root://${hostPort}/${path}`;
    default:
      return samePath(`${endpoint.protocol}://${hostPort}${path}`, path);
  }
}

/**
 * The URL, once its parser has read it, still has every segment of `path` (none removed as a dot
 * segment, none split off): the transfer goes where the LFN says, under the SE's path, or nowhere.
 */
function samePath(url: string, path: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^davs:/, 'https:'));
  } catch {
    throw new DataError('bad-name', `not a valid storage URL: ${JSON.stringify(url)}`);
  }
  if (parsed.pathname.split('/').length !== path.split('/').length || parsed.search !== '' || parsed.hash !== '')
    throw new DataError('bad-name', `storage URL ${JSON.stringify(url)} would not name ${JSON.stringify(path)}`);
  return url;
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
    se.endpoints.map((e) => `${e.protocol}${e.access ? `/${e.access}` : ''}`).join(', ') || 'none'
  }`;
}

/** davs:// is WebDAV over TLS: the same requests as https://. */
export function httpUrl(url: string): string {
  return url.replace(/^davs:/, 'https:');
}

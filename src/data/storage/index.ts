/** One entry point for every storage protocol the pilot speaks, chosen by URL scheme. */
import { DataError } from '../errors.js';
import { fileProtocol } from './file.js';
import { httpsProtocol } from './https.js';
import type { RangeOptions } from './https-ranges.js';
import type { StorageProtocol, TransferOptions, TransferResult } from './transfer.js';
import { xrdcpProtocol, type XrdcpOptions } from './xrdcp.js';

export type { StorageProtocol, TransferOptions, TransferResult } from './transfer.js';
export { endpointUrl, transferEndpoints, urlEndpoints, protocolsSaid, checkLfn, isSupported, SUPPORTED_PROTOCOLS } from './url.js';

export interface Storage {
  download(url: string, dest: string, options: TransferOptions): Promise<TransferResult>;
  upload(source: string, url: string, options: TransferOptions): Promise<TransferResult>;
}

/** `https` changes how large https downloads are split (tests make small files count as large). */
export function createStorage(options: { xrdcp?: XrdcpOptions; https?: RangeOptions } = {}): Storage {
  const https = httpsProtocol(options.https);
  const byScheme: Record<string, StorageProtocol> = {
    'file:': fileProtocol,
    'root:': xrdcpProtocol(options.xrdcp),
    'https:': https,
    'davs:': https,
  };
  const pick = (url: string): StorageProtocol => {
    const scheme = /^[a-z]+:/i.exec(url)?.[0]?.toLowerCase() ?? '';
    const protocol = byScheme[scheme];
    if (!protocol) throw new DataError('other', `no storage protocol for ${url}`);
    return protocol;
  };
  return {
    download: (url, dest, options) => pick(url).download(url, dest, options),
    upload: (source, url, options) => pick(url).upload(source, url, options),
  };
}

import { createReadStream, existsSync, statSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { makeCa, makeHost } from '../../src/devserver-dirac/pki.js';

export interface FileServer {
  /** https://localhost:<port> */
  url: string;
  /** Every path asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** A DIRAC pilot file server stand-in: a directory over HTTPS on loopback, with a throw-away CA. */
export async function startFileServer(root: string): Promise<FileServer> {
  const ca = await makeCa('Pilot File Server Test CA');
  const host = await makeHost(ca);
  const requests: string[] = [];
  const server = https.createServer({ cert: host.certPem, key: host.keyPem }, (req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'https://x').pathname);
    requests.push(urlPath);
    const file = path.join(root, path.normalize(urlPath));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://localhost:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

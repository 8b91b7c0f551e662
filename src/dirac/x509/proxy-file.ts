/**
 * RFC 3820 proxy files as DIRAC and VOMS write them: the proxy certificate, its private key, then
 * the issuing chain (user certificate, possibly intermediate proxies), and in v9 possibly a
 * trailing `DIRACX` block holding a DiracX token pair.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { diracDN, splitPem } from './pem.js';

const PROXY_CERT_INFO_OIDS = ['1.3.6.1.5.5.7.1.14', '1.3.6.1.4.1.3536.1.222'];

const DiracxBlock = z.object({
  access_token: z.string(),
  refresh_token: z.string().nullable().optional(),
  expires_on: z.number().optional(),
});
export type DiracxTokens = z.infer<typeof DiracxBlock>;

export interface ProxyCredentials {
  /** Where it came from, for messages. */
  source: string;
  /** Certificates in file order, proxy first; PEM concatenated, as tls `cert` wants it. */
  certPem: string;
  keyPem: string;
  certificates: X509Certificate[];
  /** DN of the end-entity (first non-proxy) certificate, DIRAC form `/DC=…/CN=…`. */
  identityDN: string;
  /** Earliest notAfter in the chain: the proxy is usable until then. */
  notAfter: Date;
  diracx: DiracxTokens | undefined;
}

function isProxy(cert: X509Certificate): boolean {
  // node:crypto exposes no extension list; RFC 3820 proxies name themselves issuer + one CN, and
  // carry proxyCertInfo, whose OID shows in the DER.
  const der = cert.raw;
  return PROXY_CERT_INFO_OIDS.some((oid) => der.includes(oidDer(oid))) || cert.subject.startsWith(`${cert.issuer}\nCN=`);
}

function oidDer(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk = [part & 0x7f];
    for (let n = part >> 7; n > 0; n >>= 7) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return Buffer.from([0x06, bytes.length, ...bytes]);
}

/** Parses the text of a proxy file; every defect is a one-line PilotError naming the source. */
export function parseProxyPem(text: string, source: string): ProxyCredentials {
  const fail = (message: string): never => {
    throw new PilotError(ExitCode.CREDENTIALS, `proxy ${source}: ${message}`);
  };
  const blocks = splitPem(text);
  const certBlocks = blocks.filter((b) => b.label === 'CERTIFICATE');
  const keyBlocks = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (certBlocks.length === 0) fail('no CERTIFICATE block');
  if (keyBlocks.length !== 1) fail(`expected one private key block, found ${keyBlocks.length}`);
  const certificates = certBlocks.map((block, i) => {
    try {
      return new X509Certificate(block.der);
    } catch (error) {
      return fail(`certificate ${i + 1} does not parse (${(error as Error).message})`);
    }
  });
  const keyPem = keyBlocks[0]!.text;
  try {
    const key = createPrivateKey(keyPem);
    if (!certificates[0]!.checkPrivateKey(key)) fail('the private key does not belong to the first certificate');
  } catch (error) {
    if (error instanceof PilotError) throw error;
    fail(`private key does not parse (${(error as Error).message})`);
  }
  const identity = certificates.find((cert) => !isProxy(cert)) ?? certificates[certificates.length - 1]!;
  let diracx: DiracxTokens | undefined;
  const diracxBlock = blocks.find((b) => b.label === 'DIRACX');
  if (diracxBlock) {
    const parsed = DiracxBlock.safeParse(safeJson(diracxBlock.der.toString('utf8')));
    if (!parsed.success) fail('DIRACX block is not {"access_token", "refresh_token", "expires_on"}');
    diracx = parsed.data;
  }
  return {
    source,
    certPem: certBlocks.map((b) => b.text).join(''),
    keyPem,
    certificates,
    identityDN: diracDN(identity.subject),
    notAfter: new Date(Math.min(...certificates.map((c) => Date.parse(c.validTo)))),
    diracx,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Reads a proxy file, refusing one that others can read (it holds an unencrypted key). */
export async function loadProxyFile(path: string): Promise<ProxyCredentials> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new PilotError(ExitCode.CREDENTIALS, `proxy ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if ((info.mode & 0o077) !== 0) {
    throw new PilotError(
      ExitCode.CREDENTIALS,
      `proxy ${path}: mode ${(info.mode & 0o777).toString(8)} lets others read the key; chmod 600 it`,
    );
  }
  return parseProxyPem(await readFile(path, 'utf8'), path);
}

/** Refuses an expired (or nearly expired) proxy before any server sees it. */
export function assertProxyValid(proxy: ProxyCredentials, now = new Date(), minValidSeconds = 0): void {
  for (const cert of proxy.certificates) {
    if (Date.parse(cert.validFrom) > now.getTime()) {
      throw new PilotError(ExitCode.TLS, `proxy ${proxy.source}: ${diracDN(cert.subject)} is not valid before ${cert.validFrom}`);
    }
  }
  const left = (proxy.notAfter.getTime() - now.getTime()) / 1000;
  if (left <= minValidSeconds) {
    const what = left <= 0 ? `expired at ${proxy.notAfter.toISOString()}` : `expires in ${Math.floor(left)} s (need ${minValidSeconds})`;
    throw new PilotError(ExitCode.TLS, `proxy ${proxy.source}: ${what}`);
  }
}

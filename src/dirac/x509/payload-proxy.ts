/**
 * The job owner's proxy, delegated by ProxyManager: the pilot makes a fresh RSA-2048 key and a
 * PKCS#10 request, the server signs it with the owner's stored credentials and returns the chain
 * without a key. The key never leaves this process; the file is written 0600 as DIRAC lays proxy
 * files out (certificate, key, rest of the chain).
 */
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { parseProxyPem, type ProxyCredentials } from './proxy-file.js';
import { splitPem } from './pem.js';
import { x509 } from './peculiar.js';

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

export interface ProxyRequest {
  csrPem: string;
  /** PKCS#1 PEM, DIRAC's usual key block. */
  keyPem: string;
}

export async function makeProxyRequest(): Promise<ProxyRequest> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), ALG, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), ALG, true, ['verify']),
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=limited proxy', keys, signingAlgorithm: ALG });
  return { csrPem: csr.toString('pem'), keyPem };
}

/** Assembles and writes the payload proxy file; returns the parsed credentials. */
export async function writePayloadProxy(path: string, chainPem: string, request: ProxyRequest): Promise<ProxyCredentials> {
  const certs = splitPem(chainPem).filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) throw new PilotError(ExitCode.SERVER_PROTOCOL, 'ProxyManager returned no certificate');
  const text =
    certs[0]!.text +
    request.keyPem +
    certs
      .slice(1)
      .map((b) => b.text)
      .join('');
  // Checks that the server signed our key before anything is written.
  const credentials = parseProxyPem(text, path);
  await rm(path, { force: true });
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  return credentials;
}

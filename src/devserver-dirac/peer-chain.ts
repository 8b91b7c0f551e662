/**
 * Client chain verification with RFC 3820 proxies allowed. Node's TLS server cannot set OpenSSL's
 * X509_V_FLAG_ALLOW_PROXY_CERTS, so the dev server asks for a certificate without rejecting and
 * checks the chain here: signatures and validity link by link, proxies only before the end-entity
 * certificate, each proxy named after its issuer plus one CN, and the end-entity issued by a
 * trusted CA.
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { diracDN } from '../dirac/x509/pem.js';

export type PeerCheck = { ok: true; identityDN: string; proxies: number } | { ok: false; reason: string };

export function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let detail = socket.getPeerCertificate(true) as
    (ReturnType<TLSSocket['getPeerCertificate']> & { issuerCertificate?: unknown }) | undefined;
  while (detail && detail.raw && !seen.has(detail.fingerprint256)) {
    seen.add(detail.fingerprint256);
    chain.push(new X509Certificate(detail.raw));
    detail = detail.issuerCertificate as typeof detail;
  }
  return chain;
}

export function verifyProxyChain(chain: X509Certificate[], trusted: X509Certificate[], now = Date.now()): PeerCheck {
  if (chain.length === 0) return { ok: false, reason: 'no client certificate' };
  // Drop CA certificates the client or Node appended: the chain ends at the end-entity or proxies.
  const own = chain.filter((cert) => !cert.ca);
  let proxies = 0;
  let identity: X509Certificate | undefined;
  for (const [i, cert] of own.entries()) {
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now)
      return { ok: false, reason: `${diracDN(cert.subject)} is expired or not yet valid` };
    const issuer = own[i + 1];
    const isProxy = cert.subject.startsWith(`${cert.issuer}\nCN=`) && !cert.subject.slice(cert.issuer.length + 4).includes('\n');
    if (isProxy) {
      if (identity) return { ok: false, reason: 'proxy certificate after the end-entity certificate' };
      if (!issuer || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey))
        return { ok: false, reason: `proxy ${diracDN(cert.subject)} is not signed by its issuer` };
      proxies++;
      continue;
    }
    identity ??= cert;
    if (issuer) {
      if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey))
        return { ok: false, reason: `${diracDN(cert.subject)} is not signed by the next certificate` };
      continue;
    }
    const anchor = trusted.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
    if (!anchor) return { ok: false, reason: `${diracDN(cert.subject)} is not issued by a trusted CA` };
  }
  if (!identity) return { ok: false, reason: 'chain holds only proxies' };
  return { ok: true, identityDN: diracDN(identity.subject), proxies };
}

/**
 * Verifies a connection's client chain, remembering leaf certificates already verified: on a
 * resumed TLS session the server only gets the leaf back, and the session was authenticated when
 * it was first made, as a real server would treat it.
 */
export class PeerVerifier {
  private readonly verified = new Map<string, { identityDN: string; proxies: number; until: number }>();

  constructor(private readonly trusted: X509Certificate[]) {}

  check(socket: TLSSocket): PeerCheck {
    const chain = peerChain(socket);
    const leaf = chain[0];
    const known = leaf ? this.verified.get(leaf.fingerprint256) : undefined;
    if (known && known.until > Date.now()) return { ok: true, identityDN: known.identityDN, proxies: known.proxies };
    const result = verifyProxyChain(chain, this.trusted);
    if (result.ok && leaf) this.verified.set(leaf.fingerprint256, { ...result, until: Date.parse(leaf.validTo) });
    return result;
  }
}

import { generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Ed25519 JWTs (alg "EdDSA"), the algorithm DiracX's own test fixtures sign with. One key per
 * server instance; the public half is served at /.well-known/jwks.json.
 */
export interface JwtSigner {
  readonly kid: string;
  sign(claims: Record<string, unknown>): string;
  /** The claims when the signature is valid; null otherwise. Expiry is the caller's business. */
  verify(token: string): Record<string, unknown> | null;
  jwks(): { keys: Record<string, unknown>[] };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function createJwtSigner(): JwtSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return signerFromKeys(privateKey, publicKey, randomUUID());
}

function signerFromKeys(privateKey: KeyObject, publicKey: KeyObject, kid: string): JwtSigner {
  const header = base64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid }));
  return {
    kid,
    sign(claims) {
      const payload = base64url(JSON.stringify(claims));
      const signature = sign(null, Buffer.from(`${header}.${payload}`), privateKey);
      return `${header}.${payload}.${base64url(signature)}`;
    },
    verify(token) {
      const parts = token.split('.');
      if (parts.length !== 3) return null;
      const [head, payload, signature] = parts as [string, string, string];
      let parsedHeader: unknown;
      try {
        parsedHeader = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
      } catch {
        return null;
      }
      if (typeof parsedHeader !== 'object' || parsedHeader === null || (parsedHeader as { alg?: unknown }).alg !== 'EdDSA') {
        return null;
      }
      const ok = verify(null, Buffer.from(`${head}.${payload}`), publicKey, Buffer.from(signature, 'base64url'));
      if (!ok) return null;
      try {
        const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : null;
      } catch {
        return null;
      }
    },
    jwks() {
      const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
      return { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] };
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { JwtSigner } from './jwt.js';

/** Who a token speaks for; the claims of diracx-api.md §3 come from this. */
export interface Identity {
  vo: string;
  /** The bare subject; the token's `sub` claim is `<vo>:<subject>`. */
  subject: string;
  preferredUsername: string;
  group: string;
  properties: string[];
  /** Set for tokens from the proposed pilot secret exchange. */
  pilotStamp?: string;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

export interface AuthSettings {
  issuer: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

type RefreshState = 'active' | 'rotated' | 'revoked';

interface RefreshRecord {
  identity: Identity;
  state: RefreshState;
}

export type AuthFailure = { ok: false; detail: string };
export type AuthResult = { ok: true; identity: Identity; claims: Record<string, unknown> } | AuthFailure;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Issues and checks tokens the way DiracX does: stateless signed access tokens (plus a revocation
 * list so `revokeAll` and reuse detection take effect at once), and refresh tokens that rotate on
 * every use; presenting a rotated one again revokes everything the subject holds.
 */
export class TokenAuthority {
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly accessBySubject = new Map<string, Set<string>>();
  private readonly revokedAccess = new Set<string>();

  constructor(
    private readonly signer: JwtSigner,
    private readonly settings: AuthSettings,
  ) {}

  issue(identity: Identity): TokenPair {
    const exp = nowSeconds() + this.settings.accessTokenTtlSeconds;
    const accessJti = randomUUID();
    const claims: Record<string, unknown> = {
      sub: `${identity.vo}:${identity.subject}`,
      vo: identity.vo,
      iss: this.settings.issuer,
      dirac_properties: identity.properties,
      preferred_username: identity.preferredUsername,
      dirac_group: identity.group,
      jti: accessJti,
      exp,
      dirac_policies: {},
    };
    if (identity.pilotStamp !== undefined) claims.pilot_stamp = identity.pilotStamp;
    const subjectKey = this.subjectKey(identity);
    const issued = this.accessBySubject.get(subjectKey) ?? new Set<string>();
    issued.add(accessJti);
    this.accessBySubject.set(subjectKey, issued);

    const refreshJti = randomUUID();
    this.refreshTokens.set(refreshJti, { identity, state: 'active' });
    const refresh = this.signer.sign({
      jti: refreshJti,
      sub: claims.sub,
      iss: this.settings.issuer,
      exp: nowSeconds() + this.settings.refreshTokenTtlSeconds,
      typ: 'refresh',
    });
    return {
      access_token: this.signer.sign(claims),
      refresh_token: refresh,
      expires_in: this.settings.accessTokenTtlSeconds,
      token_type: 'Bearer',
    };
  }

  /** Checks a bearer access token: signature, issuer, expiry, revocation. */
  authenticate(token: string): AuthResult {
    const claims = this.signer.verify(token);
    if (!claims || claims.typ === 'refresh') return { ok: false, detail: 'Invalid JWT' };
    if (claims.iss !== this.settings.issuer) return { ok: false, detail: 'Invalid JWT: wrong issuer' };
    // DiracX does not say "expired": an expired access token is just an invalid one (diracx-api.md §7).
    if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds()) return { ok: false, detail: 'Invalid JWT' };
    if (typeof claims.jti !== 'string' || this.revokedAccess.has(claims.jti)) return { ok: false, detail: 'Token revoked' };
    const identity = identityFromClaims(claims);
    if (!identity) return { ok: false, detail: 'Invalid JWT: missing claims' };
    return { ok: true, identity, claims };
  }

  /** The refresh_token grant: a new pair, the presented token marked rotated. */
  refresh(refreshToken: string): { ok: true; pair: TokenPair } | AuthFailure {
    const claims = this.signer.verify(refreshToken);
    if (!claims || claims.typ !== 'refresh' || typeof claims.jti !== 'string') return { ok: false, detail: 'Invalid JWT' };
    if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds()) return { ok: false, detail: 'Refresh token expired' };
    const record = this.refreshTokens.get(claims.jti);
    if (!record) return { ok: false, detail: 'Unknown refresh token' };
    if (record.state === 'rotated') {
      this.revokeSubject(record.identity);
      return { ok: false, detail: 'Revoked refresh token reused: potential attack detected. You must authenticate again' };
    }
    if (record.state === 'revoked') return { ok: false, detail: 'Refresh token revoked' };
    record.state = 'rotated';
    return { ok: true, pair: this.issue(record.identity) };
  }

  /** RFC 7009 revocation of one refresh token; an unknown or invalid one is ignored, as the RFC asks. */
  revokeRefreshToken(refreshToken: string): Identity | null {
    const claims = this.signer.verify(refreshToken);
    if (!claims || claims.typ !== 'refresh' || typeof claims.jti !== 'string') return null;
    const record = this.refreshTokens.get(claims.jti);
    if (!record) return null;
    record.state = 'revoked';
    return record.identity;
  }

  revokeSubject(identity: Identity): void {
    const key = this.subjectKey(identity);
    for (const record of this.refreshTokens.values()) {
      if (this.subjectKey(record.identity) === key) record.state = 'revoked';
    }
    for (const jti of this.accessBySubject.get(key) ?? []) this.revokedAccess.add(jti);
  }

  revokeAll(): void {
    for (const record of this.refreshTokens.values()) record.state = 'revoked';
    for (const issued of this.accessBySubject.values()) for (const jti of issued) this.revokedAccess.add(jti);
  }

  private subjectKey(identity: Identity): string {
    return `${identity.vo}:${identity.subject}`;
  }
}

function identityFromClaims(claims: Record<string, unknown>): Identity | null {
  const { sub, vo, preferred_username: user, dirac_group: group, dirac_properties: properties } = claims;
  if (typeof sub !== 'string' || typeof vo !== 'string' || typeof user !== 'string' || typeof group !== 'string') return null;
  if (!Array.isArray(properties) || !properties.every((p) => typeof p === 'string')) return null;
  const identity: Identity = {
    vo,
    subject: sub.startsWith(`${vo}:`) ? sub.slice(vo.length + 1) : sub,
    preferredUsername: user,
    group,
    properties,
  };
  if (typeof claims.pilot_stamp === 'string') identity.pilotStamp = claims.pilot_stamp;
  return identity;
}

export const GENERIC_PILOT = 'GenericPilot';
export const NORMAL_USER = 'NormalUser';

export function pilotIdentity(vo: string): Identity {
  return { vo, subject: 'pilot', preferredUsername: 'pilot', group: `${vo}_pilot`, properties: [GENERIC_PILOT, 'LimitedDelegation'] };
}

export function userIdentity(vo: string, owner: string, group = `${vo}_user`): Identity {
  return { vo, subject: `user-${owner}`, preferredUsername: owner, group, properties: [NORMAL_USER] };
}

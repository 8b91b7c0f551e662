import type { Logger } from '../../core/logger.js';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { TokenSource } from './token-source.js';
import type { TokenSet } from './token-set.js';

/** Exchanges a refresh token for a new token set (the refresh grant). */
export type Refresher = (refreshToken: string) => Promise<TokenSet>;

export interface TokenManagerOptions {
  /** What the tokens are for, in messages: "pilot", "job 42 owner". */
  label: string;
  refresher: Refresher;
  save?: (tokens: TokenSet) => Promise<void>;
  logger: Logger;
  /** Refresh when less than this is left (capped at a quarter of the token's lifetime). */
  refreshMarginMs?: number;
  now?: () => number;
}

/**
 * Keeps one token pair fresh. Refreshes are single-flight: concurrent requests that find the
 * token stale (or get a 401) share one refresh, so a rotated refresh token is used exactly once.
 * A refresh token that has been exchanged is forgotten at once: DiracX revokes every token of
 * the subject when a rotated one is presented again.
 */
export class TokenManager implements TokenSource {
  private tokens: TokenSet;
  private inflight: Promise<void> | null = null;
  private margin: number;
  private readonly spentRefreshTokens = new Set<string>();
  private readonly now: () => number;

  constructor(
    initial: TokenSet,
    private readonly options: TokenManagerOptions,
  ) {
    this.tokens = initial;
    this.now = options.now ?? Date.now;
    this.margin = this.marginFor(initial);
  }

  private marginFor(tokens: TokenSet): number {
    const lifetime = Math.max(0, tokens.expiresAt - this.now());
    return Math.min(this.options.refreshMarginMs ?? 120_000, lifetime / 4);
  }

  /** Current tokens, for callers that persist them elsewhere (never logged). */
  current(): Readonly<TokenSet> {
    return this.tokens;
  }

  async accessToken(): Promise<string> {
    if (this.tokens.expiresAt - this.now() > this.margin) return this.tokens.accessToken;
    if (!this.tokens.refreshToken) {
      if (this.tokens.expiresAt > this.now()) return this.tokens.accessToken;
      throw new PilotError(ExitCode.AUTH_REFUSED, `${this.options.label} access token expired and there is no refresh token`);
    }
    try {
      await this.refresh();
    } catch (error) {
      // An early refresh that could not reach the server is no reason to stop while the
      // current token still works; a refused one is.
      const refused = error instanceof PilotError && error.exitCode === ExitCode.AUTH_REFUSED;
      if (refused || this.tokens.expiresAt <= this.now()) throw error;
      this.options.logger.warn(`${this.options.label} token refresh postponed: ${(error as Error).message}`);
    }
    return this.tokens.accessToken;
  }

  async renewAfterRejection(rejected: string): Promise<string> {
    // Someone else already refreshed since this token was sent: just use theirs.
    if (rejected !== this.tokens.accessToken) return this.tokens.accessToken;
    if (!this.tokens.refreshToken) {
      throw new PilotError(ExitCode.AUTH_REFUSED, `${this.options.label} token refused by the server and there is no refresh token`);
    }
    await this.refresh();
    return this.tokens.accessToken;
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.doRefresh().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async doRefresh(): Promise<void> {
    const refreshToken = this.tokens.refreshToken;
    if (!refreshToken) return;
    if (this.spentRefreshTokens.has(refreshToken)) {
      throw new PilotError(ExitCode.AUTH_REFUSED, `${this.options.label} refresh token was already rotated; refusing to reuse it`);
    }
    const fresh = await this.options.refresher(refreshToken);
    // No refresh token in the reply means the old one stays valid (RFC 6749 §6); the same one
    // back means the server does not rotate (DiracX's legacy exchange). Anything else rotated it.
    const rotated = fresh.refreshToken !== null && fresh.refreshToken !== refreshToken;
    if (rotated) this.spentRefreshTokens.add(refreshToken);
    this.tokens = { ...fresh, refreshToken: fresh.refreshToken ?? refreshToken };
    this.margin = this.marginFor(this.tokens);
    this.options.logger.debug(
      { rotated, expiresInS: Math.round((this.tokens.expiresAt - this.now()) / 1000) },
      `${this.options.label} token refreshed`,
    );
    if (this.options.save) {
      try {
        await this.options.save(this.tokens);
      } catch (error) {
        // A failed write-back costs a restarted pilot its session, not this one its job.
        this.options.logger.warn(`${this.options.label}: could not write refreshed credentials back: ${(error as Error).message}`);
      }
    }
  }
}

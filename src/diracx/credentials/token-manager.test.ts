import { describe, expect, it } from 'vitest';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { silentLogger } from '../../core/logger.js';
import { TokenManager } from './token-manager.js';
import type { TokenSet } from './token-set.js';

const NOW = 1_000_000_000;

function manager(initial: TokenSet, refresher: (rt: string) => Promise<TokenSet>, save?: (t: TokenSet) => Promise<void>) {
  let clock = NOW;
  const tm = new TokenManager(initial, { label: 'pilot', refresher, logger: silentLogger(), now: () => clock, ...(save ? { save } : {}) });
  return { tm, setClock: (t: number) => (clock = t) };
}

describe('TokenManager', () => {
  it('uses the token as is while it is valid, refreshes within the margin', async () => {
    const presented: string[] = [];
    const { tm, setClock } = manager({ accessToken: 'a0', refreshToken: 'r0', expiresAt: NOW + 1_200_000 }, async (rt) => {
      presented.push(rt);
      return { accessToken: 'a1', refreshToken: 'r1', expiresAt: NOW + 2_400_000 };
    });
    expect(await tm.accessToken()).toBe('a0');
    setClock(NOW + 1_200_000 - 60_000); // one minute left: inside the two-minute margin
    expect(await tm.accessToken()).toBe('a1');
    expect(presented).toEqual(['r0']);
  });

  it('keeps a refresh token the server did not rotate (legacy exchange) and reuses it', async () => {
    const presented: string[] = [];
    const { tm } = manager({ accessToken: 'a0', refreshToken: 'legacy', expiresAt: NOW - 1 }, async (rt) => {
      presented.push(rt);
      return { accessToken: `a${presented.length}`, refreshToken: presented.length === 1 ? 'legacy' : null, expiresAt: NOW - 1 };
    });
    await tm.accessToken();
    await tm.accessToken();
    expect(presented).toEqual(['legacy', 'legacy']);
    expect(tm.current().refreshToken).toBe('legacy');
  });

  it('after a 401 refreshes once for all callers that saw the same token', async () => {
    let refreshes = 0;
    const { tm } = manager({ accessToken: 'a0', refreshToken: 'r0', expiresAt: NOW + 3_600_000 }, async () => {
      refreshes++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { accessToken: `a${refreshes}`, refreshToken: `r${refreshes}`, expiresAt: NOW + 3_600_000 };
    });
    const results = await Promise.all([tm.renewAfterRejection('a0'), tm.renewAfterRejection('a0'), tm.renewAfterRejection('a0')]);
    expect(results).toEqual(['a1', 'a1', 'a1']);
    expect(await tm.renewAfterRejection('a0')).toBe('a1'); // late caller with the old token: no second refresh
    expect(refreshes).toBe(1);
  });

  it('refuses with AUTH_REFUSED when there is nothing to refresh with', async () => {
    const { tm } = manager({ accessToken: 'a0', refreshToken: null, expiresAt: NOW - 1 }, async () => {
      throw new Error('must not be called');
    });
    await expect(tm.accessToken()).rejects.toMatchObject({ exitCode: ExitCode.AUTH_REFUSED });
    await expect(tm.renewAfterRejection('a0')).rejects.toMatchObject({ exitCode: ExitCode.AUTH_REFUSED });
  });

  it('a failing write-back does not fail the refresh', async () => {
    const { tm } = manager(
      { accessToken: 'a0', refreshToken: 'r0', expiresAt: NOW - 1 },
      async () => ({ accessToken: 'a1', refreshToken: 'r1', expiresAt: NOW + 3_600_000 }),
      async () => {
        throw new Error('EROFS: read-only file system');
      },
    );
    expect(await tm.accessToken()).toBe('a1');
  });

  it('keeps using a still-valid token when an early refresh cannot reach the server, not when it is refused', async () => {
    const unreachable = manager({ accessToken: 'a0', refreshToken: 'r0', expiresAt: NOW + 10_000 }, async () => {
      throw new PilotError(ExitCode.SERVER_UNREACHABLE, 'POST /api/auth/token: server unreachable');
    });
    unreachable.setClock(NOW + 9_000); // inside the refresh margin, not yet expired
    expect(await unreachable.tm.accessToken()).toBe('a0');
    unreachable.setClock(NOW + 10_000);
    await expect(unreachable.tm.accessToken()).rejects.toMatchObject({ exitCode: ExitCode.SERVER_UNREACHABLE });
    const refused = manager({ accessToken: 'a0', refreshToken: 'r0', expiresAt: NOW + 10_000 }, async () => {
      throw new PilotError(ExitCode.AUTH_REFUSED, 'token refresh refused (HTTP 401): revoked');
    });
    refused.setClock(NOW + 9_000);
    await expect(refused.tm.accessToken()).rejects.toMatchObject({ exitCode: ExitCode.AUTH_REFUSED });
  });
});

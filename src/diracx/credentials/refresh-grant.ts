import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { DiracxConnection } from '../http/connection.js';
import { DiracxHttpError } from '../http/reply.js';
import { TokenResponseSchema } from '../schemas.js';
import type { Refresher } from './token-manager.js';
import { tokenSetFromResponse } from './token-set.js';

/** DiracX's public client id (what `dirac login` uses); deployments may configure another. */
export const DEFAULT_CLIENT_ID = 'myDIRACClientID';

/**
 * The OAuth2 refresh grant on `POST /api/auth/token`. Not idempotent (it rotates the refresh
 * token), so it is retried only when the request surely never reached the server.
 */
export function refreshGrant(connection: DiracxConnection, clientId: string, now: () => number = Date.now): Refresher {
  const endpoint = 'POST /api/auth/token';
  return async (refreshToken) => {
    try {
      const reply = await connection.call({
        endpoint,
        request: {
          method: 'POST',
          target: '/api/auth/token',
          form: { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken },
        },
        schema: TokenResponseSchema,
        idempotent: false,
        auth: null,
        // Reporting after a stop signal may need a fresh token.
        whenStopping: 'report',
      });
      return tokenSetFromResponse(reply, now());
    } catch (error) {
      // 400 invalid_grant / 401: the refresh token is expired, revoked or unknown.
      if (error instanceof DiracxHttpError && error.status >= 400 && error.status < 500) {
        throw new PilotError(ExitCode.AUTH_REFUSED, `token refresh refused (HTTP ${error.status}): ${error.detail || 'no detail'}`);
      }
      throw error;
    }
  };
}

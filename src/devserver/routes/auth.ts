import { createHash } from 'node:crypto';
import { z } from 'zod';
import { pilotIdentity } from '../auth.js';
import { requireIdentity, zodIssues, type ServerCore } from '../core.js';
import { contractError, HttpError, type Route } from '../http.js';

/** POST /api/auth/token (form-urlencoded). Only the refresh_token grant: no browser here. */
function tokenEndpoint(core: ServerCore): Route {
  return {
    method: 'POST',
    path: '/api/auth/token',
    auth: false,
    body: 'form',
    handler(ctx) {
      const form = ctx.body as Record<string, string>;
      if (form.grant_type !== 'refresh_token') {
        throw new HttpError(400, `Unsupported grant_type ${JSON.stringify(form.grant_type)}: the dev server only supports refresh_token`);
      }
      if (!form.refresh_token) throw new HttpError(400, 'refresh_token is required for the refresh_token grant');
      const result = core.tokens.refresh(form.refresh_token);
      if (!result.ok) throw new HttpError(401, result.detail, { 'www-authenticate': 'Bearer' });
      return { status: 200, json: result.pair };
    },
  };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

const SecretExchange = z
  .object({
    pilot_stamp: z.string().min(1).max(32),
    pilot_secret: z.string().min(1),
    // The "vacuum" pilot fields (DIRAC pilot PR #248): used with a VO-wide secret.
    vo: z.string().optional(),
    grid_type: z.string().optional(),
    grid_site: z.string().optional(),
    status: z.string().optional(),
  })
  .strict();

/** Proposal (diracx PRs #421/#550): a single-use pilot secret traded for a token pair. */
function secretExchange(core: ServerCore): Route {
  return {
    method: 'POST',
    path: '/api/auth/secret-exchange',
    auth: false,
    body: 'json',
    handler(ctx) {
      if (!core.options.features.secretExchange) throw new HttpError(404, 'Not Found');
      const parsed = SecretExchange.safeParse(ctx.body);
      if (!parsed.success) throw contractError(422, zodIssues(parsed.error));
      const body = parsed.data;
      const record = core.state.pilotSecrets.get(hashSecret(body.pilot_secret));
      if (record && record.stamp === null) {
        // A VO-wide secret of vacuum pilots (DIRAC pilot PR #248): the stamp is new to the server,
        // so the pilot must say who it is; the server then registers it.
        if (!body.vo || !body.grid_type || !body.grid_site) throw new HttpError(401, 'Bad pilot stamp or secret');
        if (body.vo !== core.state.vo) throw new HttpError(401, `Secret not valid for VO ${body.vo}`);
        if (!core.state.pilots.has(body.pilot_stamp)) {
          core.state.pilots.set(body.pilot_stamp, {
            pilot_stamp: body.pilot_stamp,
            vo: body.vo,
            grid_type: body.grid_type,
            grid_site: body.grid_site,
            destination_site: 'NotAssigned',
            pilot_reference: body.pilot_stamp,
            status: body.status ?? 'Running',
            registeredAt: new Date().toISOString(),
            metadata: {},
          });
        }
        return { status: 200, json: core.tokens.issue({ ...pilotIdentity(core.state.vo), pilotStamp: body.pilot_stamp }) };
      }
      if (!record || record.stamp !== body.pilot_stamp) throw new HttpError(401, 'Bad pilot stamp or secret');
      if (record.used) throw new HttpError(401, 'Pilot secret already used');
      record.used = true;
      const pair = core.tokens.issue({ ...pilotIdentity(core.state.vo), pilotStamp: record.stamp });
      return { status: 200, json: pair };
    },
  };
}

/** POST /api/auth/revoke (form token, token_type_hint, client_id): RFC 7009, 200 whatever the token. */
function revoke(core: ServerCore): Route {
  return {
    method: 'POST',
    path: '/api/auth/revoke',
    auth: false,
    body: 'form',
    handler(ctx) {
      const form = ctx.body as Record<string, string>;
      if (!form.token) throw new HttpError(422, 'token is required');
      const identity = core.tokens.revokeRefreshToken(form.token);
      if (identity)
        core.state.revocations.push({
          subject: `${identity.vo}:${identity.subject}`,
          pilotStamp: identity.pilotStamp ?? null,
          clientId: form.client_id ?? null,
        });
      return { status: 200, json: 'Refresh token revoked' };
    },
  };
}

function openIdConfiguration(core: ServerCore): Route {
  return {
    method: 'GET',
    path: '/.well-known/openid-configuration',
    auth: false,
    body: 'none',
    handler(ctx) {
      const api = `${ctx.origin}/api/auth`;
      return {
        status: 200,
        json: {
          issuer: core.auth.issuer,
          token_endpoint: `${api}/token`,
          userinfo_endpoint: `${api}/userinfo`,
          authorization_endpoint: `${api}/authorize`,
          device_authorization_endpoint: `${api}/device`,
          revocation_endpoint: `${api}/revoke`,
          jwks_uri: `${ctx.origin}/.well-known/jwks.json`,
          grant_types_supported: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
          scopes_supported: [
            `vo:${core.state.vo}`,
            `group:${core.state.vo}_user`,
            `group:${core.state.vo}_pilot`,
            'property:NormalUser',
            'property:GenericPilot',
          ],
          response_types_supported: ['code'],
          token_endpoint_auth_signing_alg_values_supported: ['EdDSA'],
          token_endpoint_auth_methods_supported: ['none'],
          code_challenge_methods_supported: ['S256'],
        },
      };
    },
  };
}

/** GET /api/auth/userinfo: who the bearer token speaks for (UserInfoResponse). */
function userinfo(): Route {
  return {
    method: 'GET',
    path: '/api/auth/userinfo',
    auth: true,
    body: 'none',
    handler(ctx) {
      const identity = requireIdentity(ctx);
      return {
        status: 200,
        json: {
          sub: `${identity.vo}:${identity.subject}`,
          vo: identity.vo,
          dirac_group: identity.group,
          policies: {},
          properties: identity.properties,
          preferred_username: identity.preferredUsername,
        },
      };
    },
  };
}

function jwks(core: ServerCore): Route {
  return {
    method: 'GET',
    path: '/.well-known/jwks.json',
    auth: false,
    body: 'none',
    handler: () => ({ status: 200, json: core.signer.jwks() }),
  };
}

export function authRoutes(core: ServerCore): Route[] {
  return [tokenEndpoint(core), secretExchange(core), revoke(core), userinfo(), openIdConfiguration(core), jwks(core)];
}

import { z } from 'zod';
import { GENERIC_PILOT } from '../auth.js';
import { hasProperty, requireIdentity, zodIssues, type ServerCore } from '../core.js';
import { contractError, HttpError, type Route } from '../http.js';

/** POST /api/pilots/: ServiceAdministrator, or GenericPilot for its own VO. */
function registerPilot(core: ServerCore): Route {
  return {
    method: 'POST',
    path: '/api/pilots/',
    auth: true,
    body: 'json',
    handler(ctx) {
      const identity = requireIdentity(ctx);
      const params = ctx.body as {
        pilot_stamp: string;
        vo: string;
        grid_type?: string;
        grid_site?: string;
        destination_site?: string;
        pilot_reference?: string | null;
        pilot_status?: string;
      };
      const admin = hasProperty(identity, 'ServiceAdministrator');
      if (!admin && !(hasProperty(identity, GENERIC_PILOT) && params.vo === identity.vo)) throw new HttpError(403, 'Forbidden');
      if (params.vo !== core.state.vo) throw new HttpError(400, `Unknown VO ${params.vo}`);
      if (core.state.pilots.has(params.pilot_stamp)) throw new HttpError(409, `Pilot ${params.pilot_stamp} already exists`);
      core.state.pilots.set(params.pilot_stamp, {
        pilot_stamp: params.pilot_stamp,
        vo: params.vo,
        grid_type: params.grid_type ?? 'DIRAC',
        grid_site: params.grid_site ?? 'Unknown',
        destination_site: params.destination_site ?? 'NotAssigned',
        pilot_reference: params.pilot_reference ?? params.pilot_stamp,
        status: params.pilot_status ?? 'Submitted',
        registeredAt: new Date().toISOString(),
        metadata: {},
      });
      return { status: 201 };
    },
  };
}

/** PATCH /api/pilots/metadata: a GenericPilot may touch only one stamp per call, of its own VO. */
function updatePilotMetadata(core: ServerCore): Route {
  return {
    method: 'PATCH',
    path: '/api/pilots/metadata',
    auth: true,
    body: 'json',
    handler(ctx) {
      const identity = requireIdentity(ctx);
      const body = ctx.body as Record<string, Record<string, unknown>>;
      const stamps = Object.keys(body);
      const admin = hasProperty(identity, 'ServiceAdministrator');
      if (!admin) {
        if (!hasProperty(identity, GENERIC_PILOT) || stamps.length !== 1)
          throw new HttpError(403, 'Forbidden: a pilot may update only one pilot per call');
      }
      for (const stamp of stamps) {
        const pilot = core.state.pilots.get(stamp);
        if (!pilot) throw new HttpError(404, `Pilot ${stamp} not found`);
        if (!admin && pilot.vo !== identity.vo) throw new HttpError(403, 'Forbidden');
      }
      for (const stamp of stamps) {
        const pilot = core.state.pilots.get(stamp)!;
        for (const [key, value] of Object.entries(body[stamp] ?? {})) {
          if (value === null) continue;
          pilot.metadata[key] = value;
          if (key === 'Status') pilot.status = String(value);
        }
      }
      return { status: 204 };
    },
  };
}

/** FastAPI's redirect_slashes: `/api/pilots` answers 307 to the absolute `/api/pilots/`. */
function pilotsWithoutSlash(method: string): Route {
  return {
    method,
    path: '/api/pilots',
    auth: false,
    body: 'none',
    handler(ctx) {
      return { status: 307, headers: { location: `${ctx.origin}/api/pilots/` } };
    },
  };
}

const PilotLogMessage = z
  .object({
    lines: z
      .array(
        z
          .object({
            timestamp: z.string().min(1),
            severity: z.string().min(1),
            message: z.string(),
            scope: z.string(),
          })
          .strict(),
      )
      .max(10_000),
  })
  .strict();

/** Proposal (diracx PR #550): POST /api/pilots/internal/message, behind `features.pilotLogs`. */
function pilotLogMessages(core: ServerCore): Route {
  return {
    method: 'POST',
    path: '/api/pilots/internal/message',
    auth: true,
    body: 'json',
    handler(ctx) {
      const identity = requireIdentity(ctx);
      if (!hasProperty(identity, GENERIC_PILOT) && identity.pilotStamp === undefined) throw new HttpError(403, 'Forbidden');
      const parsed = PilotLogMessage.safeParse(ctx.body);
      if (!parsed.success) throw contractError(422, zodIssues(parsed.error));
      for (const line of parsed.data.lines) {
        core.state.pilotLogs.push({ pilotSubject: identity.subject, pilotStamp: identity.pilotStamp ?? null, ...line });
      }
      return { status: 204 };
    },
  };
}

export function pilotRoutes(core: ServerCore): Route[] {
  const routes = [registerPilot(core), updatePilotMetadata(core), pilotsWithoutSlash('POST'), pilotsWithoutSlash('GET')];
  // DiracX has no such route: without the feature it does not exist here either (404 before any token check).
  if (core.options.features.pilotLogs) routes.push(pilotLogMessages(core));
  return routes;
}

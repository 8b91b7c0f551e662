import type { Logger } from '../core/logger.js';
import type { PilotRegistration, PilotStatus } from '../backend/types.js';
import type { TokenSource } from './credentials/token-source.js';
import type { DiracxConnection } from './http/connection.js';
import { DiracxHttpError } from './http/reply.js';
import { PILOT_METADATA_KEYS } from './schemas.js';

export class PilotsClient {
  constructor(
    private readonly connection: DiracxConnection,
    private readonly auth: TokenSource,
    private readonly logger: Logger,
  ) {}

  /** `POST /api/pilots/` (trailing slash: without it DiracX answers with a redirect). */
  async register(info: PilotRegistration): Promise<void> {
    try {
      await this.connection.call({
        endpoint: 'POST /api/pilots/',
        request: {
          method: 'POST',
          target: '/api/pilots/',
          json: {
            pilot_stamp: info.pilotStamp,
            vo: info.vo,
            grid_type: info.gridType,
            grid_site: info.gridSite,
            destination_site: info.destinationSite,
            ...(info.pilotReference ? { pilot_reference: info.pilotReference } : {}),
          },
        },
        idempotent: false,
        auth: this.auth,
      });
    } catch (error) {
      // The stamp exists: a CE registered it, or our own earlier attempt got through.
      if (error instanceof DiracxHttpError && error.status === 409) {
        this.logger.info(`pilot ${info.pilotStamp} already registered`);
        return;
      }
      throw error;
    }
  }

  /** `PATCH /api/pilots/metadata`, one stamp per call (a GenericPilot may not send more). */
  async setMetadata(pilotStamp: string, status: PilotStatus | null, reason?: string, extra: Record<string, unknown> = {}): Promise<void> {
    const metadata: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(extra)) {
      if ((PILOT_METADATA_KEYS as readonly string[]).includes(key)) metadata[key] = value;
      else this.logger.warn(`pilot metadata field ${key} is not one DiracX accepts; not sent`);
    }
    if (status !== null) metadata.Status = status;
    if (reason !== undefined) metadata.StatusReason = reason.slice(0, 255);
    await this.connection.call({
      endpoint: 'PATCH /api/pilots/metadata',
      request: { method: 'PATCH', target: '/api/pilots/metadata', json: { [pilotStamp]: metadata } },
      idempotent: true,
      auth: this.auth,
      whenStopping: 'report',
    });
  }
}

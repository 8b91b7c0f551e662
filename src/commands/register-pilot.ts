import type { PilotCommand } from '../pilot/context.js';
import { voOf } from './wiring.js';

/** Registers the pilot with the server. As in DIRAC, a failure is logged and never fatal. */
export const registerPilot: PilotCommand = {
  name: 'register-pilot',
  description: 'register the pilot (stamp, VO, site, reference) with the server',
  async run(ctx) {
    if (!ctx.backend) {
      ctx.logger.warn('register-pilot: no server connection (run authenticate first); skipped');
      return;
    }
    const p = ctx.params;
    try {
      await ctx.backend.registerPilot({
        pilotStamp: ctx.pilotStamp,
        vo: voOf(ctx),
        gridType: p.gridCEType,
        gridSite: p.site,
        destinationSite: p.ce || 'NotAssigned',
        pilotReference: ctx.probe?.batch.pilotReference ?? null,
      });
      await ctx.backend.setPilotStatus('Running', 'pilot started', {
        ...(ctx.cpuPower ? { BenchMark: ctx.cpuPower.power } : {}),
        ...(p.queue ? { Queue: p.queue } : {}),
      });
    } catch (error) {
      ctx.logger.warn({ err: (error as Error).message }, 'pilot registration failed; carrying on');
    }
  },
};

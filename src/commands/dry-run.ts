import type { PilotContext } from '../pilot/context.js';
import { matchRequest } from '../agent/job-agent.js';
import { matchRequestBody } from '../diracx/match.js';
import { cpuWorkLeftNow, describeShare, slotCapacity, voOf } from './wiring.js';

/**
 * What `pilot run --dry-run` prints: the body of the first match request the job agent would send
 * for this slot, built by the same functions (describeShare, matchRequest, matchRequestBody), with
 * the whole slot free. `request` is null when the pipeline ran without describe-resources.
 */
export async function dryRunReport(
  ctx: PilotContext,
): Promise<{ dryRun: true; matchPath: string; request: Record<string, unknown> | null }> {
  const probe = ctx.probe;
  if (!probe) return { dryRun: true, matchPath: ctx.params.matchPath, request: null };
  const capacity = slotCapacity(probe, ctx.params, null);
  const whole = { processors: capacity.processors, memoryMB: capacity.memoryMB, gpus: capacity.gpus.length };
  const described = describeShare(ctx, probe, whole, await cpuWorkLeftNow(ctx, 0));
  return {
    dryRun: true,
    matchPath: ctx.params.matchPath,
    request: matchRequestBody(matchRequest({ pilotStamp: ctx.pilotStamp, vo: voOf(ctx) }, described)),
  };
}

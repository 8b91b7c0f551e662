import type { PilotCommand, PilotContext } from '../pilot/context.js';
import { probeNode } from '../probes/index.js';
import { buildDiracResources, buildNodeDocument, type ResourceParams } from '../probes/resources.js';

/** The resource parameters that come from the pilot's options rather than from the node. */
export function resourceParams(ctx: PilotContext, overrides: Partial<ResourceParams> = {}): ResourceParams {
  const p = ctx.params;
  return {
    site: p.site,
    ce: p.ce,
    queue: p.queue,
    vo: p.vo ?? 'unknown',
    tags: p.tags,
    requiredTags: p.requiredTags,
    cpuTime: Math.floor(ctx.timeLeft?.cpuWorkLeft ?? 0),
    wallTime: ctx.timeLeft?.wallSecondsLeft ?? null,
    pilotBenchmark: ctx.cpuPower?.power ?? 0,
    pilotReference: ctx.probe?.batch.pilotReference ?? ctx.pilotStamp,
    releaseVersion: p.releaseVersion,
    ...(p.ownerGroup ? { ownerGroup: p.ownerGroup } : {}),
    ...(p.processors ? { processors: p.processors } : {}),
    wholeNode: p.tags.includes('WholeNode'),
    ...overrides,
  };
}

/** Rebuilds both descriptions from the probe and what the pipeline learnt so far. */
export function describe(ctx: PilotContext, overrides: Partial<ResourceParams> = {}): void {
  if (!ctx.probe) return;
  const params = resourceParams(ctx, overrides);
  ctx.resources = buildDiracResources(ctx.probe, params);
  ctx.nodeDocument = buildNodeDocument(ctx.probe, params);
}

/**
 * DIRAC's CheckCECapabilities, CheckWNCapabilities, ConfigureSite and ConfigureArchitecture in one:
 * probe the slot and build the DIRAC resource description and the DiracX node document.
 */
export const describeResources: PilotCommand = {
  name: 'describe-resources',
  description: 'probe the slot and build the resource description',
  async run(ctx) {
    ctx.probe ??= await probeNode({
      root: ctx.params.sysroot ?? '/',
      env: ctx.env,
      workDir: ctx.workDir,
      logger: ctx.logger,
      native: ctx.native,
    });
    for (const warning of ctx.probe.warnings) ctx.logger.warn({ probe: warning.probe }, warning.message);
    describe(ctx);
    const { cpu, memory, gpus, platform, batch } = ctx.probe;
    ctx.logger.info(
      { cpus: cpu.allocatedCpus, memMB: memory.allocatedMB, gpus: gpus.length, platform, microarch: cpu.microarchitecture, batch: batch.system },
      'slot described',
    );
  },
};

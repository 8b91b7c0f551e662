import type { PilotCommand, PilotContext } from '../pilot/context.js';
import { probeNode } from '../probes/index.js';
import type { ProbeResult } from '../probes/types.js';

/**
 * Probes this slot (or the captured node of --sysroot) once per pilot: every subcommand and
 * command that needs the node goes through here, so they all see it the same way.
 * On a capture, the capture's own environment is used, not this machine's.
 */
export async function probeSlot(ctx: PilotContext, workDir = ctx.workDir): Promise<ProbeResult> {
  const sysroot = ctx.params.sysroot;
  ctx.probe ??= await probeNode({
    root: sysroot ?? '/',
    ...(sysroot ? {} : { env: ctx.env }),
    workDir,
    logger: ctx.logger,
    native: () => ctx.native,
    ...(ctx.params.ce ? { ceName: ctx.params.ce } : {}),
    cvmfsRepositories: [...new Set([...ctx.params.cvmfsLocations, ...ctx.params.requiredCvmfs])],
  });
  // -R/--reference names this pilot whatever the batch system says; everything reads it from here.
  if (ctx.params.pilotReference) ctx.probe.batch.pilotReference = ctx.params.pilotReference;
  return ctx.probe;
}

/**
 * DIRAC's CheckCECapabilities, CheckWNCapabilities, ConfigureSite and ConfigureArchitecture in one:
 * probe the slot (the resource description and node document are built from it before each match).
 */
export const describeResources: PilotCommand = {
  name: 'describe-resources',
  description: 'probe the slot and build the resource description',
  async run(ctx) {
    await probeSlot(ctx);
    for (const warning of ctx.probe!.warnings) ctx.logger.warn({ probe: warning.probe }, warning.message);
    if (ctx.params.architectureScript) {
      const { runArchitectureScript } = await import('./architecture-script.js');
      const result = await runArchitectureScript(ctx.params.architectureScript, ctx.params.cvmfsLocations, ctx.env);
      if (result.platform) {
        ctx.logger.info(
          { script: result.script, native: ctx.probe!.platform },
          `platform from the architecture script: ${result.platform}`,
        );
        // The VO's platform name is what its jobs ask for: everything that describes the slot reads it from here.
        ctx.probe!.platform = result.platform;
      } else {
        ctx.logger.warn({ native: ctx.probe!.platform }, `--architectureScript: ${result.problem}; the native platform is used`);
      }
    }
    const { cpu, memory, gpus, platform, batch } = ctx.probe!;
    ctx.logger.info(
      {
        cpus: cpu.allocatedCpus,
        memMB: memory.allocatedMB,
        gpus: gpus.length,
        platform,
        microarch: cpu.microarchitecture,
        batch: batch.system,
      },
      'slot described',
    );
  },
};

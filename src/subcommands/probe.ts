import type { Subcommand } from '../pilot/cli.js';
import { formatProbeTable } from '../probes/table.js';
import { probeReport } from '../probes/resources.js';
import { probeSlot } from '../commands/describe-resources.js';
import { resourceParams } from '../commands/wiring.js';
import { openSession } from './session.js';
import { writeStdout } from '../pilot/stdio.js';

export const probeSubcommand: Subcommand = {
  name: 'probe',
  details: '--json prints the machine form (docs/probes.md lists the fields); --sysroot DIR reads a captured node.',
  async run(parsed) {
    const session = await openSession(parsed, { workDir: false, quietLogs: true });
    const { ctx } = session;
    try {
      const started = process.hrtime.bigint();
      const probe = await probeSlot(ctx);
      const probeMs = Number(process.hrtime.bigint() - started) / 1e6;
      const params = resourceParams(ctx);
      const out = { ...probeReport(probe, params), probeMs: Math.round(probeMs * 100) / 100 };
      writeStdout(ctx.params.json ? `${JSON.stringify(out, null, 2)}\n` : formatProbeTable(probe));
      return 0;
    } finally {
      await session.close();
    }
  },
};

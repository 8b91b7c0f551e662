import type { Subcommand, SubcommandEntry } from '../pilot/cli.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { startCli } from '../pilot/start.js';
import { SUBCOMMAND_SUMMARIES, type SubcommandName } from '../pilot/subcommand-list.js';

/**
 * The pilot-lite bundle: `probe`, `version` and the help, without the job agent, the DiracX
 * client, the sandboxes or the legacy stack, so that it loads in a fraction of the time.
 * The other subcommands are listed (for --help) but live in pilot-main; the launcher never
 * sends them here.
 */
const LITE: Partial<Record<SubcommandName, () => Promise<Subcommand>>> = {
  probe: async () => (await import('./probe.js')).probeSubcommand,
  version: async () => (await import('./version.js')).versionSubcommand,
};

const SUBCOMMANDS: readonly SubcommandEntry[] = (Object.keys(SUBCOMMAND_SUMMARIES) as SubcommandName[]).map((name) => ({
  name,
  summary: SUBCOMMAND_SUMMARIES[name],
  load:
    LITE[name] ??
    (() =>
      Promise.reject(
        new PilotError(ExitCode.INTERNAL, `'${name}' is not in the pilot-lite bundle (the launcher should have loaded pilot-main)`),
      )),
}));

startCli(SUBCOMMANDS);

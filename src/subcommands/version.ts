import type { Subcommand } from '../pilot/cli.js';
import { formatVersion, versionInfo } from '../pilot/version.js';
import { loadNativeAddon } from '../native/load.js';
import { parseArgv } from '../pilot/argv.js';
import { writeStdout } from '../pilot/stdio.js';

export const versionSubcommand: Subcommand = {
  name: 'version',
  async run(parsed: ReturnType<typeof parseArgv>) {
    const workDir = parsed.params.workDir as string | undefined;
    loadNativeAddon(workDir ? { workDir } : {});
    const info = versionInfo();
    writeStdout(parsed.params.json ? `${JSON.stringify(info)}\n` : formatVersion(info));
    return 0;
  },
};

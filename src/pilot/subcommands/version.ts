import type { Subcommand } from '../cli.js';
import { formatVersion, versionInfo } from '../version.js';
import { loadNativeAddon } from '../../native/load.js';
import { parseArgv } from '../argv.js';
import { writeStdout } from '../stdio.js';

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

/**
 * The subcommands by name, with the summary `pilot --help` prints. Two bundles share this list:
 * pilot-lite (the read-only commands a site admin or a CE runs for a quick answer, which must
 * start as fast as Node itself allows) and pilot-main (everything). dist/pilot.cjs and the
 * executables pick the bundle from the first argument (src/launcher/launcher.ts).
 */
export const SUBCOMMAND_SUMMARIES = {
  run: 'run the pilot pipeline: probe, measure, authenticate, register, run jobs',
  probe: 'describe this slot (or a captured node with --sysroot): CPU, memory, GPUs, OS, batch allocation',
  check: 'validate the node: work dir, /tmp, CVMFS, container runtime, user namespaces, GPUs, clock, time left',
  timeleft: 'time left in the batch allocation, and CPU work left (time left × CPU power), with sources',
  benchmark:
    'CPU power of one processor: the site figure, MJF, the machine ad, the node cache or a DB12-compatible measurement, with its source and spread',
  exec: 'run one local job description (JDL or JSON) through the payload path, no server',
  version: 'print the pilot version, commit, embedded Node, architecture, native addon status',
} as const;

export type SubcommandName = keyof typeof SUBCOMMAND_SUMMARIES;

/** First arguments the lite bundle serves: its subcommands, and the help and version spellings. */
export const LITE_FIRST_ARGUMENTS: readonly (string | undefined)[] = [
  'probe',
  'version',
  '--version',
  '-V',
  '--help',
  '-h',
  'help',
  undefined,
];

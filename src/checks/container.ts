import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { ExitCode } from '../core/exit-codes.js';
import { spawnFailure } from '../probes/spawn-error.js';
import { result, type CheckResult } from './types.js';

/** DIRAC's default ContainerRoot: the CernVM image published on CVMFS. */
export const DEFAULT_TEST_IMAGE = '/cvmfs/cernvm-prod.cern.ch/cvm4';

export interface ContainerCheckOptions {
  /** The runtime binary (apptainer, singularity, or a stand-in in tests); null when none was found. */
  runtime: string | null;
  image?: string;
  /** Pass `--userns` as the pilot will when it runs payloads. */
  userNamespaces?: boolean;
  timeoutMs?: number;
  /** When false, a missing runtime is a skip rather than a failure (payloads run directly). */
  required?: boolean;
  /** APPTAINER_CACHEDIR for the trial run, so nothing lands in $HOME (glideinWMS#403). */
  cacheDir?: string;
  /** What the search for a runtime could not look at (a directory on a stuck mount), said with a missing runtime. */
  searchWarnings?: readonly string[];
}

/** Known stderr lines and what they mean for a site admin (pilot3 and glideinWMS see the same). */
const KNOWN_FAILURES: ReadonlyArray<[RegExp, string]> = [
  [/Failed to create user namespace|user namespace.*(not allowed|disabled)/i, 'user namespaces are disabled'],
  [/No more available loop devices|could not attach image file to loop device/i, 'no loop devices left'],
  [/could not open image|image .* does not exist|no such file or directory/i, 'the test image is not there'],
  [/permission denied/i, 'permission denied'],
];

function explain(stderr: string): string {
  for (const [pattern, meaning] of KNOWN_FAILURES) if (pattern.test(stderr)) return meaning;
  return (stderr.split('\n').find((line) => line.trim() !== '') ?? '').slice(0, 160);
}

/**
 * Run a trivial container and check what it printed: an exit status of 0 with the wrong
 * output (a wrapper that swallows errors, a broken bind) is a failure too.
 */
export async function checkContainer(options: ContainerCheckOptions): Promise<CheckResult> {
  const required = options.required ?? true;
  if (!options.runtime) {
    const unsearched = options.searchWarnings?.length ? ` (${options.searchWarnings.join('; ')})` : '';
    return result(
      'container',
      required ? 'fail' : 'skip',
      `no apptainer or singularity found on PATH or in /cvmfs/oasis.opensciencegrid.org${unsearched}`,
      ExitCode.CONTAINER,
    );
  }
  const token = `pilot-check-${randomBytes(6).toString('hex')}`;
  const image = options.image ?? DEFAULT_TEST_IMAGE;
  const args = ['exec', '--contain', '--ipc', ...(options.userNamespaces ? ['--userns'] : []), image, '/bin/echo', token];
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    const run = await execa(options.runtime, args, {
      timeout: timeoutMs,
      reject: false,
      stdin: 'ignore',
      maxBuffer: 1024 * 1024,
      forceKillAfterDelay: 2000,
      env: options.cacheDir ? { APPTAINER_CACHEDIR: options.cacheDir, SINGULARITY_CACHEDIR: options.cacheDir } : {},
    });
    const command = `${options.runtime} exec ${image}`;
    if (run.timedOut) return result('container', 'fail', `${command} did not finish within ${timeoutMs} ms`, ExitCode.CONTAINER);
    const notStarted = spawnFailure(run);
    if (notStarted) return result('container', 'fail', `${options.runtime} could not be run: ${notStarted}`, ExitCode.CONTAINER);
    const stdout = String(run.stdout).trim();
    const stderr = String(run.stderr);
    if (run.exitCode !== 0) {
      return result('container', 'fail', `${command} exited with ${run.exitCode ?? run.signal}: ${explain(stderr)}`, ExitCode.CONTAINER);
    }
    if (!stdout.split('\n').some((line) => line.trim() === token)) {
      return result(
        'container',
        'fail',
        `${command} exited 0 but printed ${JSON.stringify(stdout.slice(0, 80))} instead of the test token`,
        ExitCode.CONTAINER,
      );
    }
    return result('container', 'pass', `${command} ran and printed the test token`, ExitCode.CONTAINER);
  } catch (error) {
    return result(
      'container',
      'fail',
      `${options.runtime} could not be run: ${(error as Error).message.split('\n')[0]}`,
      ExitCode.CONTAINER,
    );
  }
}

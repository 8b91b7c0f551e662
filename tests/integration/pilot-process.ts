import { spawn } from 'node:child_process';
import { afterEach } from 'vitest';
import { startDevServer, type DevServer, type DevServerOptions } from '../../src/devserver/index.js';
import { tempDir } from '../support/temp-dir.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PILOT_BUNDLE = path.join(ROOT, 'dist', 'pilot.cjs');

export interface PilotRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export { tempDir } from '../support/temp-dir.js';

/**
 * Runs the built pilot as its own process (the runtime of this test run: Node 22), with a clean
 * environment unless one is given, and collects its output. Bounded by `timeoutMs`.
 */
export function runPilot(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<PilotRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PILOT_BUNDLE, ...args], {
      cwd: options.cwd ?? tempDir(),
      env: options.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pilot ${args.join(' ')} did not end within ${options.timeoutMs ?? 60_000} ms\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    if (child.pid) options.onSpawn?.(child.pid);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The site (-n) of the pilots of legacyPilotArgs and devPilotArgs. */
export const TEST_SITE = 'DIRAC.Test.local';

/** Options for a pilot against a dev server: fixed CPU power and time, fast polling. */
/** A pilot's options against the legacy DIRAC dev server (src/devserver-dirac), as a SiteDirector's line gives them. */
export function legacyPilotArgs(
  server: { proxyPath: string; caDir: string; csUrls: readonly string[]; vo: string; releaseVersion: string },
  workDir: string,
  extra: string[] = [],
  backend = 'dirac',
): string[] {
  return [
    ['run', '--backend', backend, '--proxy', server.proxyPath, '--ca-path', server.caDir],
    ['-C', server.csUrls.join(','), '--wnVO', server.vo, '-r', server.releaseVersion, '--work-dir', workDir],
    ['-n', TEST_SITE, '-N', 'test-ce.local', '-Q', 'default', '-y', 'Pool', '-T', '86400'],
    ['--cpu-power-source', 'config', '--cpu-power', '10', '--PollingTime', '0.2', '--StopAfterFailedMatches', '1'],
    ['--heartbeat', '1', '--runner', 'direct', ...extra],
  ].flat();
}

export function devPilotArgs(server: { url: string }, credentialsFile: string, workDir: string, extra: string[] = []): string[] {
  return [
    'run',
    '--diracx-url',
    server.url,
    '--credentials',
    credentialsFile,
    '--work-dir',
    workDir,
    '--wnVO',
    'demo',
    '-n',
    TEST_SITE,
    '-N',
    'test-ce.local',
    '-Q',
    'default',
    '-y',
    'Pool',
    '-T',
    '86400',
    '--cpu-power-source',
    'config',
    '--cpu-power',
    '10',
    '--PollingTime',
    '0.2',
    '--StopAfterFailedMatches',
    '1',
    '--heartbeat',
    '1',
    '--runner',
    'direct',
    ...extra,
  ];
}

/** A pilot's files for a run against a dev server: a fresh directory, its credentials for that server, its work directory (not created). */
export interface DevPilotFiles {
  dir: string;
  credentials: string;
  work: string;
}

/** A fresh directory (named `prefix`…) holding the pilot's credentials for `server`. */
export async function devPilotFiles(
  server: { writePilotCredentials(file: string): Promise<unknown> },
  prefix?: string,
): Promise<DevPilotFiles> {
  const dir = tempDir(prefix);
  const credentials = path.join(dir, 'credentials.json');
  await server.writePilotCredentials(credentials);
  return { dir, credentials, work: path.join(dir, 'work') };
}

/**
 * For a test file whose tests each run a pilot against a dev server of their own: the starter
 * (a dev server with `options`, and the pilot's files for it), and the server closed after each test.
 */
export function devServerPerTest(): (options?: DevServerOptions, prefix?: string) => Promise<DevPilotFiles & { server: DevServer }> {
  let server: DevServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  return async (options = {}, prefix) => {
    server = await startDevServer(options);
    return { server, ...(await devPilotFiles(server, prefix)) };
  };
}

/** `pilot run` (devPilotArgs, then `extra`) against the dev server of `pilot`, with its files. */
export function runDevPilot(
  pilot: { server: { url: string }; credentials: string; work: string },
  extra: string[] = [],
  options: Parameters<typeof runPilot>[1] = {},
): Promise<PilotRun> {
  return runPilot(devPilotArgs(pilot.server, pilot.credentials, pilot.work, extra), options);
}

/**
 * Polls `fn` every 100 ms until it returns something truthy; on timeout the error names what was
 * awaited, plus whatever `explain()` says about the state of things then.
 */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | null,
  timeoutMs = 30_000,
  explain?: () => string,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${explain ? `; ${explain()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The JobAgent's Source as the dev servers record it for a pilot of legacyPilotArgs or devPilotArgs:
 * `JobAgent@<site>`. Written out, not made by the pilot's own function, so a change of the label shows here.
 */
export const AGENT_SOURCE = 'JobAgent@DIRAC.Test.local';

/** DIRAC v9's JobAgent records for a matched job: minor statuses only, the job stays Matched. */
export const AGENT_HISTORY = [
  ['Matched', 'Job Received by Agent', AGENT_SOURCE],
  ['Matched', 'Installing Software', AGENT_SOURCE],
  ['Matched', 'Submitting To CE', AGENT_SOURCE],
];

/**
 * The JobWrapper's records of a job with an input and an output sandbox that runs to Done. Source plain
 * `JobWrapper`, no site: DIRAC v9's JobWrapperTemplate makes the job's report so and hands it to the JobWrapper.
 */
export const WRAPPER_HISTORY_DONE = [
  ['Running', 'Job Initialization', 'JobWrapper'],
  ['Running', 'Downloading InputSandbox', 'JobWrapper'],
  ['Running', 'Application', 'JobWrapper'],
  ['Completing', 'Application Finished Successfully', 'JobWrapper'],
  ['Completing', 'Uploading Output Sandbox', 'JobWrapper'],
  ['Completing', 'Output Sandbox Uploaded', 'JobWrapper'],
  ['Done', 'Execution Complete', 'JobWrapper'],
];

/**
 * The whole way an unmodified DIRAC v9 SiteDirector starts this pilot (issue 18 §2): its pilot
 * wrapper (tests/launcher/dirac-wrapper.ts; DIRAC's own with DIRAC_PILOT_WRAPPER_PY) submitted to
 * a real Slurm, downloading checksums.sha512, pilot.json and pilot.tar from a loopback HTTPS file
 * server, checking them, running dirac-pilot.py, which downloads the compressed executable and
 * runs it against the legacy DIRAC dev server until its jobs are Done.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { startDiracDevServer, type DiracDevServer } from '../../src/devserver-dirac/index.js';
import { startFileServer, type FileServer } from '../launcher/file-server.js';
import { diracWrapper } from '../launcher/dirac-wrapper.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const EXE = `pilot-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`;

function slurmProblem(): string | null {
  try {
    execFileSync('sinfo', ['-h'], { stdio: 'pipe', timeout: 10_000 });
  } catch (error) {
    return `Slurm is not running (sinfo: ${(error as Error).message.split('\n')[0]}); start it with .ci/start-slurm.sh`;
  }
  for (const tool of ['python3', 'bzip2', 'tar']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return null;
}
const problem = slurmProblem();
if (problem) console.warn(`[dirac-wrapper] skipped: ${problem}`);

let server: DiracDevServer | undefined;
let files: FileServer | undefined;
const submitted: string[] = [];
afterAll(async () => {
  if (submitted.length > 0) execFileSync('scancel', submitted, { stdio: 'ignore' });
  await files?.close();
  await server?.close();
});

async function waitForSlurmJob(id: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const queued = execFileSync('squeue', ['-h', '-j', id, '-o', '%t'], { encoding: 'utf8' }).trim();
    if (queued === '') return;
    await sleep(500);
  }
  throw new Error(`Slurm job ${id} still queued or running after ${timeoutMs} ms`);
}

describe.skipIf(problem !== null)('DIRAC pilot wrapper → pilot.tar → dirac-pilot.py → executable, under Slurm', () => {
  it('runs the legacy dev server’s jobs to Done', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dirac-wrapper-'));
    server = await startDiracDevServer({ dir: path.join(dir, 'server') });
    const srv = path.join(dir, 'srv');
    mkdirSync(srv);
    files = await startFileServer(srv);

    // The executable as built (scripts/build-binaries.sh), else the bundle behind a stand-in of the same name.
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const built = path.join(ROOT, 'dist', 'bin', EXE);
    writeFileSync(
      path.join(bin, EXE),
      existsSync(built) ? readFileSync(built) : `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'dist', 'pilot.cjs')}" "$@"\n`,
      { mode: 0o755 },
    );
    // pilot.json as the VO's synchronizer publishes it: here only the configuration servers.
    const pilotJson = path.join(dir, 'pilot.json');
    writeFileSync(
      pilotJson,
      JSON.stringify({
        timestamp: '2026-12-07T00:00:00',
        ConfigurationServers: server.csUrls,
        CEs: { 'test-ce.local': { Site: 'DIRAC.Test.local', GridCEType: 'SSH' } },
      }),
    );
    execFileSync(
      process.execPath,
      [
        'scripts/build-pilot-tar.mjs',
        '--bin-dir',
        bin,
        '--out',
        path.join(srv, 'pilot'),
        '--url',
        `${files.url}/pilot`,
        '--pilot-json',
        pilotJson,
      ],
      { cwd: ROOT, stdio: 'pipe' },
    );

    const options = [
      '--backend dirac',
      `--ca-path ${server.caDir}`,
      `--wnVO ${server.vo}`,
      `-r ${server.releaseVersion}`,
      '-n DIRAC.Test.local',
      '-N test-ce.local',
      '-Q default',
      '-T 86400',
      '--cpu-power-source config',
      '--cpu-power 10',
      '--PollingTime 0.2',
      '--StopAfterFailedMatches 1',
      '--heartbeat 1',
      '--runner direct',
    ].join(' ');
    const execDir = path.join(dir, 'exec');
    mkdirSync(execDir);
    const wrapper = path.join(dir, 'wrapper.sh');
    writeFileSync(
      wrapper,
      diracWrapper({
        pilotOptions: options,
        location: `${files.url.replace('https://', '')}/nothing-here,${files.url}`,
        cvmfsLocations: [path.join(dir, 'no-cvmfs')],
        pilotExecDir: execDir,
        proxyPem: readFileSync(server.proxyPath, 'utf8'),
      }),
      { mode: 0o755 },
    );
    const output = path.join(dir, 'slurm.out');
    const id = execFileSync(
      'sbatch',
      [
        '--parsable',
        '-J',
        `dirac-wrapper-test${process.pid}`,
        '-o',
        output,
        '-D',
        execDir,
        '--export',
        `PATH=${process.env.PATH ?? '/usr/bin:/bin'},DIRAC_PILOT_STAMP=wrapper${process.pid}`,
        wrapper,
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split(';')[0]!;
    submitted.push(id);
    await waitForSlurmJob(id, 240_000);
    submitted.pop();
    const log = readFileSync(output, 'utf8');

    const jobs = [...server.state.jobs.values()];
    expect(
      jobs.map((j) => [j.jobId, j.status]),
      log.slice(-4000),
    ).toEqual([
      [101, 'Done'],
      [102, 'Done'],
    ]);
    // The wrapper took the files from the file server (after the location that has none), checked them, and the launcher downloaded the executable.
    expect(files.requests).toEqual(
      expect.arrayContaining(['/pilot/checksums.sha512', '/pilot/pilot.json', '/pilot/pilot.tar', `/pilot/${EXE}.gz`]),
    );
    expect(log).toMatch(new RegExp(`dirac-pilot.py: running .*${EXE}`));
    // The stamp the wrapper passed (--pilotUUID) is the pilot's; it registered itself (reference from Slurm) and ended Done.
    const pilots = [...server.state.pilots.values()];
    expect(
      pilots.find((p) => p.stamp === `wrapper${process.pid}`),
      JSON.stringify(pilots),
    ).toMatchObject({ status: 'Done', addedBy: 'addPilotReferences' });
    // The wrapper cleaned its working directory up.
    expect(execFileSync('ls', ['-A', execDir], { encoding: 'utf8' }).trim()).toBe('');
  }, 300_000);
});

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { runPilot, tempDir, ROOT, PILOT_BUNDLE } from '../integration/pilot-process.js';
import { shellSplit, siteDirectorOptions, wrapperArgv, type SiteDirectorQueue } from './site-director.js';

/**
 * A pilot started as an unmodified DIRAC v9 SiteDirector starts one (issue 18): its option lines,
 * through the wrapper's word splitting, run to the match request with --dry-run, and each DIRAC
 * option shows its effect there. Nothing here talks to a server.
 */
const UUID = '6fa459ea-ee8a-11ee-894e-db77e160355e';
// What the test adds: a work directory, a CPU power and time instead of DB12 and a batch system.
const LOCAL = ['--dry-run', '--cpu-power-source', 'config', '--cpu-power', '10', '-T', '1000'];

const LHCB_LIKE: SiteDirectorQueue = {
  setup: 'LHCb-Production',
  vo: 'lhcb',
  ceName: 'ce01.example.org',
  queueName: 'condor',
  site: 'LCG.Example.org',
  ops: { Project: 'LHCb', CVMFS_locations: '/cvmfs/lhcb.cern.ch/lhcbdirac,/cvmfs/grid.cern.ch', Extensions: ['LHCb'] },
  queue: {
    GenericOptions: 'cvmfsOnly, lbRunOnly, /Resources/Computing/CEDefaults/MaxCPUTime=86400',
    SharedArea: '/cvmfs/lhcb.cern.ch/lib',
    UserEnvVariables: 'LHCB_SITE_HINT:::fast,XRD_RUNFORKHANDLER:::1',
    ExtraPilotOptions: '-m 2, -R sshslurm://ce01.example.org/4711, -O /DC=org/DC=example/CN=private.owner',
    Modules: 'https://github.com/DIRACGrid/DIRAC.git:::DIRAC:::rel-v9r0',
    PipInstallOptions: '--index-url=https://pypi.example.org/simple',
  },
};

const PREINSTALLED: SiteDirectorQueue = {
  setup: 'Dirac-Production',
  vo: 'dteam',
  ceName: 'arc.example.org',
  queueName: 'nordugrid-slurm-grid',
  site: 'ARC.Example.se',
  ops: {
    Installation: 'dirac-install.cfg',
    PreinstalledEnv: '/cvmfs/dirac.egi.eu/dirac/v9.0.1/Linux-x86_64/diracosrc',
    Extensions: ['None'],
  },
  csExtensions: ['WebApp'],
};

const PREFIX: SiteDirectorQueue = {
  setup: 'Dirac-Production',
  vo: 'gridpp',
  ceName: 'htc.example.ac.uk',
  queueName: 'default',
  site: 'LCG.Example.uk',
  ops: { PreinstalledEnvPrefix: '/cvmfs/dirac.egi.eu/dirac', Extensions: ['GridPP'] },
  queue: { GenericOptions: '/LocalSite/CPUNormalizationFactor=23.5' },
};

async function dryRun(argv: string[]) {
  const dir = tempDir('pilot-sitedirector-');
  const run = await runPilot(['run', '-w', path.join(dir, 'work'), ...argv, ...LOCAL], { cwd: dir, timeoutMs: 30_000 });
  expect(run.stderr).not.toMatch(/unknown option/);
  expect(run.code, run.stderr).toBe(0);
  const log = readFileSync(path.join(dir, 'work', 'pilot.log'), 'utf8');
  return {
    out: JSON.parse(run.stdout) as { request: { pilot_stamp: string; resources: Record<string, unknown> }; dirac: Record<string, unknown> },
    log,
  };
}

describe('option lines of a DIRAC v9 SiteDirector (SiteDirector._getPilotOptions), as the pilot wrapper passes them', () => {
  it('splits like the wrapper does', () => {
    expect(siteDirectorOptions(LHCB_LIKE)).toContain("-o '/LocalSite/SharedArea=/cvmfs/lhcb.cern.ch/lib'");
    expect(shellSplit('-o \'/LocalSite/SharedArea=/a b\' -x"y z" w\\ v')).toEqual(['-o', '/LocalSite/SharedArea=/a b', '-xy z', 'w v']);
  });

  it('an LHCb-like queue: every option accepted, each with its effect', async () => {
    const { out, log } = await dryRun(wrapperArgv(siteDirectorOptions(LHCB_LIKE), UUID));
    const { resources } = out.request;
    expect(out.request.pilot_stamp).toBe(UUID.replace(/-/g, ''));
    expect(resources).toMatchObject({
      Site: 'LCG.Example.org',
      GridCE: 'ce01.example.org',
      CEQueue: 'condor',
      VirtualOrganization: 'lhcb',
      PilotReference: 'sshslurm://ce01.example.org/4711',
      OwnerDN: '/DC=org/DC=example/CN=private.owner',
    });
    expect(resources.NumberOfProcessors as number).toBeLessThanOrEqual(2);
    expect(out.dirac).toMatchObject({
      nothingToInstall: [
        '--modules https://github.com/DIRACGrid/DIRAC.git:::DIRAC:::rel-v9r0',
        '--pipInstallOptions --index-url=https://pypi.example.org/simple',
        '-e LHCb',
      ],
      localConfig: { '/LocalSite/SharedArea': '/cvmfs/lhcb.cern.ch/lib', '/Resources/Computing/CEDefaults/MaxCPUTime': '86400' },
      flags: ['cvmfsOnly', 'lbRunOnly'],
      payloadEnvironment: ['DIRAC_PILOT_FLAGS', 'LHCB_SITE_HINT', 'VO_LHCB_SW_DIR', 'XRD_RUNFORKHANDLER'],
    });
    expect(log.match(/nothing to install: /g)).toHaveLength(1);
  });

  it('a queue with a preinstalled environment (-V, --preinstalledEnv)', async () => {
    const line = siteDirectorOptions(PREINSTALLED);
    expect(line).toContain('-V dirac-install.cfg');
    const { out } = await dryRun(wrapperArgv(line, '0123456789abcdef0123456789abcdef'));
    expect(out.request.pilot_stamp).toBe('0123456789abcdef0123456789abcdef');
    expect(out.dirac.nothingToInstall).toEqual([
      '-V dirac-install.cfg',
      '--preinstalledEnv /cvmfs/dirac.egi.eu/dirac/v9.0.1/Linux-x86_64/diracosrc',
    ]);
  });

  it('a queue with --preinstalledEnvPrefix and a site-published CPUNormalizationFactor, which replaces the benchmark', async () => {
    const argv = wrapperArgv(siteDirectorOptions(PREFIX), UUID).filter((a) => a !== '--cpu-power-source');
    const dir = tempDir('pilot-sitedirector-');
    // No --cpu-power here: the figure comes from -o /LocalSite/CPUNormalizationFactor.
    const run = await runPilot(['run', '-w', path.join(dir, 'work'), ...argv, '--dry-run', '-T', '1000'], { cwd: dir, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { request: { resources: Record<string, unknown> }; dirac: Record<string, unknown> };
    expect(out.request.resources.PilotBenchmark).toBe(23.5);
    expect(out.dirac.nothingToInstall).toEqual(['--preinstalledEnvPrefix /cvmfs/dirac.egi.eu/dirac', '-e GridPP']);
  });

  it('--architectureScript found under a CVMFS location gives the Platform the match request carries', async () => {
    const cvmfs = tempDir('pilot-cvmfs-');
    writeFileSync(path.join(cvmfs, 'vo-platform'), '#!/bin/sh\necho x86_64-el9.avx2+fma\n', { mode: 0o755 });
    const { out } = await dryRun([
      ...wrapperArgv([...siteDirectorOptions(PREINSTALLED), `--CVMFS_locations=${cvmfs}`, '--architectureScript=vo-platform'], UUID),
    ]);
    expect(out.request.resources.Platform).toBe('x86_64-el9.avx2+fma');
    const { out: native, log } = await dryRun(['--architectureScript=no-such-vo-platform', `--CVMFS_locations=${cvmfs}`]);
    expect(native.request.resources.Platform).toMatch(/^Linux_/);
    expect(log).toMatch(/--architectureScript: no-such-vo-platform not found .*the native platform is used/);
  });

  it("reads the wrapper's log records from stdin into the pilot's log, secrets redacted, and goes on", async () => {
    const dir = tempDir('pilot-sitedirector-');
    const child = spawn(process.execPath, [PILOT_BUNDLE, 'run', '-w', path.join(dir, 'work'), ...LOCAL], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // As PilotWrapper does: every buffered record at once, then stdin closed.
    child.stdin.end(
      '2026-12-07T01:00:00,000001Z DEBUG    [pilotLogger] DIRACX_SECRET=abc123\n2026-12-07T01:00:00,000002Z INFO     [pilotLogger] Launching dirac-pilot script from /scratch\n',
    );
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { dirac: { wrapperRecords: number } }).dirac.wrapperRecords).toBe(2);
    const log = readFileSync(path.join(dir, 'work', 'pilot.log'), 'utf8');
    expect(log).toMatch(/"source":"wrapper".*Launching dirac-pilot script from \/scratch/);
    expect(log).toContain('DIRACX_SECRET=<redacted>');
    expect(log).not.toContain('abc123');
  });

  it('-x with another agent ends before anything runs, with one line and the usage code', async () => {
    const dir = tempDir('pilot-sitedirector-');
    const run = await runPilot(['run', '-w', path.join(dir, 'work'), '-x', 'dirac-agent WorkloadManagement/PushJobAgent', ...LOCAL], {
      cwd: dir,
      timeoutMs: 30_000,
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/-x\/--execute .*only the job agent/);
  });
});

describe("the DIRAC pilot project's CI pilot.json (tests/fixtures/dirac-pilot), placeholders filled as its CI does", () => {
  function ciPilotJson(schema: 'new' | 'old'): string {
    const text = readFileSync(path.join(ROOT, 'tests/fixtures/dirac-pilot', `ci-pilot-${schema}Schema.json`), 'utf8')
      .replaceAll('VAR_JENKINS_SITE', 'DIRAC.Jenkins.ch')
      .replaceAll('VAR_JENKINS_QUEUE', 'jenkins-queue_not_important')
      .replaceAll('VAR_DIRAC_VERSION', 'v9.0.1')
      .replaceAll('VAR_CS', 'dips://localhost:9135/Configuration/Server')
      .replaceAll('VAR_USERDN_GRIDPP', '/DC=ch/CN=gridpp pilot')
      .replaceAll('VAR_USERDN', '/DC=ch/CN=dteam pilot');
    const file = path.join(tempDir('pilot-cijson-'), 'pilot.json');
    writeFileSync(file, text);
    return file;
  }

  it('new schema: CE section, Defaults commands for the grid CE type, the VO section', async () => {
    const { out, log } = await dryRun([
      '-F',
      ciPilotJson('new'),
      '-N',
      'jenkins-mp-pool.cern.ch',
      '-Q',
      'jenkins-queue_not_important',
      '--wnVO',
      'dteam',
      '-S',
      'DIRAC-Certification',
    ]);
    expect(out.request.resources).toMatchObject({ Site: 'DIRAC.Jenkins.ch', ReleaseVersion: 'v9.0.1' });
    expect(log).toMatch(/"commands":\["check-worker-node","describe-resources","measure-cpu-power","compute-cpu-work-left"\]/);
  });

  it("an LHCb grid CE type: the LHCb pilot's command names run as this pilot's commands with -E, and are refused without", async () => {
    const args = ['-F', ciPilotJson('new'), '-N', 'jenkins-lhcb.cern.ch', '--wnVO', 'LHCb', '-S', 'DIRAC-Certification'];
    const { log } = await dryRun([...args, '-l', 'LHCb', '-E', 'LHCb']);
    expect(log).toMatch(/"commands":\["check-worker-node","describe-resources","measure-cpu-power","compute-cpu-work-left"\]/);
    const dir = tempDir('pilot-cijson-');
    const refused = await runPilot(['run', '-w', path.join(dir, 'work'), ...args, ...LOCAL], { cwd: dir, timeoutMs: 30_000 });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/unknown pipeline command 'LHCbInstallDIRAC'/);
  });

  it('old schema: Setups section, commands as a list, ConfigurationServer in the section', async () => {
    const { out } = await dryRun(['-F', ciPilotJson('old'), '-N', 'jenkins.cern.ch', '-S', 'DIRAC-Certification']);
    expect(out.request.resources).toMatchObject({ Site: 'DIRAC.Jenkins.ch', ReleaseVersion: 'v9.0.1' });
  });
});

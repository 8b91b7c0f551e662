import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgv } from './argv.js';
import { loadParams, makePilotStamp } from './setup.js';
import { OPTIONS, type OptionSpec } from './options.js';
import {
  checkExecute,
  installOnlyGiven,
  jobRequirements,
  parseGenericOptions,
  parseUserEnvVariables,
  paramsFromLocalConfig,
  siteEnvironment,
} from './dirac-options.js';
import { resolveParams } from './params.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

interface DiracOption {
  short: string | null;
  long: string;
  takesValue: boolean;
}
const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tests/fixtures/dirac-pilot/pilot-options.json');
const DIRAC = (JSON.parse(readFileSync(fixture, 'utf8')) as { options: DiracOption[] }).options;
const specs = OPTIONS as readonly OptionSpec[];

/** A value each option accepts (most take any text). */
const SAMPLE: Record<string, string> = {
  disk: '100',
  MaxCycles: '3',
  PollingTime: '5',
  StopOnApplicationFailure: 'False',
  StopAfterFailedMatches: '2',
  pilotProcessors: '2',
  CPUTime: '1000',
  maxNumberOfProcessors: '2',
  option: '/LocalSite/SharedArea=/sw',
  userEnvVariables: 'A:::1',
  execute: 'JobAgent',
  configurationServer: 'dips://cs.example.org:9135/Configuration/Server',
  commandOptions: 'a=b',
  pilotUUID: 'abc',
};

function usageError(fn: () => unknown): PilotError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PilotError);
    expect((error as PilotError).exitCode).toBe(ExitCode.USAGE);
    expect((error as PilotError).message).not.toContain('\n');
    return error as PilotError;
  }
  throw new Error('expected a usage error');
}

describe("the DIRAC pilot's option table (tests/fixtures/dirac-pilot/pilot-options.json, from Pilot/pilotTools.py cmdOpts)", () => {
  it('lists 48 options, 81 forms besides -h/--help: a new DIRAC option must be added to the fixture and to options.ts', () => {
    expect(DIRAC).toHaveLength(48);
    const options = DIRAC.filter((o) => o.long !== 'help');
    expect(options.length + options.filter((o) => o.short).length).toBe(81);
  });

  it('has an entry here for every DIRAC option, same short letter, same need of a value', () => {
    for (const option of DIRAC) {
      if (option.long === 'help') continue; // -h/--help: the CLI's own
      const spec = specs.find((s) => s.long === option.long || s.aliases?.includes(option.long));
      expect(spec, `--${option.long}`).toBeDefined();
      expect(spec!.short ?? null, `--${option.long}`).toBe(option.short);
      expect(spec!.type !== 'flag', `--${option.long} takes a value`).toBe(option.takesValue);
    }
  });

  it('accepts every form: -x v, -xv, --long=v, --long v', () => {
    for (const option of DIRAC) {
      if (option.long === 'help') {
        expect(parseArgv(['-h']).help).toBe(true);
        expect(parseArgv(['--help']).help).toBe(true);
        continue;
      }
      const value = SAMPLE[option.long] ?? 'x1';
      const forms: string[][] = option.takesValue
        ? [
            [`--${option.long}=${value}`],
            [`--${option.long}`, value],
            ...(option.short ? [[`-${option.short}`, value], [`-${option.short}${value}`]] : []),
          ]
        : [[`--${option.long}`], ...(option.short ? [[`-${option.short}`]] : [])];
      for (const form of forms) expect(() => parseArgv(form), form.join(' ')).not.toThrow();
    }
  });
});

describe('-o/--option: the local configuration', () => {
  it('reads /Section/Key=value paths, relative paths under -s, and bare words as flags', () => {
    expect(
      parseGenericOptions(['/LocalSite/SharedArea=/cvmfs/lhcb.cern.ch/lib', 'cvmfsOnly', "/A/B='quoted'", 'lbRunOnly', 'cvmfsOnly']),
    ).toEqual({
      values: { '/LocalSite/SharedArea': '/cvmfs/lhcb.cern.ch/lib', '/A/B': 'quoted' },
      flags: ['cvmfsOnly', 'lbRunOnly'],
    });
    expect(parseGenericOptions(['SharedArea=/sw', 'X/Y=1=2'], '/LocalSite/').values).toEqual({
      '/LocalSite/SharedArea': '/sw',
      '/LocalSite/X/Y': '1=2',
    });
    expect(parseGenericOptions(['Key=v']).values).toEqual({ '/Key': 'v' });
    for (const bad of ['=v', '/=v', 'a b', '/A//B=v']) usageError(() => parseGenericOptions([bad]));
  });

  it('sets the options it stands for, below the environment and the command line', async () => {
    const config = parseGenericOptions([
      '/LocalSite/CPUNormalizationFactor=17.5',
      '/Resources/Computing/CEDefaults/MaxCPUTime=86400',
      '/Resources/Computing/CEDefaults/Tag=cvmfs,Singularity',
      '/AgentJobRequirements/OwnerGroup=lhcb_prod',
      '/LocalSite/Site=LCG.Site.org',
      '/Some/Other=kept',
    ]);
    expect(paramsFromLocalConfig(config)).toEqual({
      cpuPower: 17.5,
      cpuPowerSource: 'config',
      maxCPUTime: 86400,
      tags: ['cvmfs', 'Singularity'],
      ownerGroup: 'lhcb_prod',
      site: 'LCG.Site.org',
    });
    usageError(() => paramsFromLocalConfig(parseGenericOptions(['/LocalSite/CPUNormalizationFactor=fast'])));
    const p = await loadParams(parseArgv(['-o', '/LocalSite/Site=FromOption', '-o', '/LocalSite/CPUNormalizationFactor=12']), {
      DIRAC_SITE: 'FromEnv',
    });
    expect(p).toMatchObject({ site: 'FromEnv', cpuPowerSource: 'config', cpuPower: 12 });
    expect((await loadParams(parseArgv(['-s', 'LocalSite', '-o', 'Site=Relative']), {})).site).toBe('Relative');
  });

  it('sends /AgentJobRequirements, -O and -G with every match request, as DIRAC does', async () => {
    const p = await loadParams(
      parseArgv(['-o', '/AgentJobRequirements/JobType=User', '-O', '/DC=org/CN=Private Owner', '-G', 'lhcb_user']),
      {},
    );
    expect(jobRequirements(p)).toEqual({ JobType: 'User', OwnerDN: '/DC=org/CN=Private Owner', OwnerGroup: 'lhcb_user' });
  });
});

describe('the payload environment from the site', () => {
  it('--userEnvVariables NAME:::value pairs, PYTHONPATH with -k, SharedArea as VO_<VO>_SW_DIR, -o flags', async () => {
    expect(parseUserEnvVariables('A:::1, B:::x:::y,')).toEqual({ A: '1', B: 'x:::y' });
    for (const bad of ['A=1', ':::1', '1A:::x']) usageError(() => parseUserEnvVariables(bad));
    const p = await loadParams(
      parseArgv(['--wnVO', 'lhcb', '-k', '-o', '/LocalSite/SharedArea=/sw', '-o', 'lbRunOnly', '--userEnvVariables=SITE_X:::1']),
      {},
    );
    expect(siteEnvironment(p, { PYTHONPATH: '/opt/py' })).toEqual({
      VO_LHCB_SW_DIR: '/sw',
      DIRAC_PILOT_FLAGS: 'lbRunOnly',
      PYTHONPATH: '/opt/py',
      SITE_X: '1',
    });
    const plain = await loadParams(parseArgv([]), {});
    expect(siteEnvironment(plain, { PYTHONPATH: '/opt/py' })).toEqual({});
  });
});

describe('other DIRAC options', () => {
  it('-x accepts only the job agent', () => {
    for (const ok of ['JobAgent', 'WorkloadManagement/JobAgent', 'dirac-agent WorkloadManagement/JobAgent'])
      expect(() => checkExecute(ok)).not.toThrow();
    expect(usageError(() => checkExecute('dirac-agent WorkloadManagement/PushJobAgent')).message).toMatch(/only the job agent/);
  });

  it('a uuid1 from the pilot wrapper is accepted and becomes a 32-character stamp', async () => {
    const p = await resolveParams({ pilotUUID: '6fa459ea-ee8a-11ee-894e-db77e160355e' });
    expect(makePilotStamp(p)).toBe('6fa459eaee8a11ee894edb77e160355e');
    await expect(resolveParams({ pilotUUID: 'x'.repeat(33) })).rejects.toThrow(/--pilotUUID: 1 to 32 characters, or a UUID/);
  });

  it('-r takes the first release of a list; install-only options are listed, not acted on', async () => {
    const parsed = parseArgv([
      '-r',
      'v9.0.1,v9.0.0',
      '--modules=https://x/DIRAC.git:::DIRAC:::b',
      '--preinstalledEnv=/cvmfs/x/diracosrc',
      '-V',
      'inst',
      '-u',
      'https://dl',
      '-e',
      'LHCb',
    ]);
    expect((await resolveParams(parsed.params)).releaseVersion).toBe('v9.0.1');
    expect(installOnlyGiven(parsed.params)).toEqual([
      '-r v9.0.1,v9.0.0',
      '-u https://dl',
      '-V inst',
      '--modules https://x/DIRAC.git:::DIRAC:::b',
      '--preinstalledEnv /cvmfs/x/diracosrc',
      '-e LHCb',
    ]);
  });
});

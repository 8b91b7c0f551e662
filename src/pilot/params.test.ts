import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgv } from './argv.js';
import { loadParams } from './setup.js';
import { paramsFromEnv, resolveParams } from './params.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

const NEW_SCHEMA = {
  timestamp: '2026-11-01T00:00:00',
  DefaultSetup: 'Production',
  CEs: {
    'ce01.example.org': {
      Site: 'LCG.Example.org',
      GridCEType: 'HTCondorCE',
      LocalCEType: 'Pool',
      long: { LocalCEType: 'Pool/Singularity' },
    },
  },
  Defaults: {
    Pilot: {
      Commands: { Defaults: 'CheckWorkerNode, LaunchAgent', HTCondorCE: 'CheckWorkerNode,ConfigureCPURequirements,LaunchAgent' },
      Version: 'v9.0.1, v9.0.0',
      PollingTime: '30',
    },
  },
  lhcb: {
    Pilot: { MaxCycles: '7', RemoteLogging: 'True', RemoteLoggerBufsize: '50', RemoteLoggerTimerInterval: '0' },
    Production: { Pilot: { PollingTime: '40' } },
  },
  ConfigurationServers: ['dips://cs.example.org:9135/Configuration/Server'],
};

function tempJson(data: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pilot-json-'));
  const file = path.join(dir, 'pilot.json');
  writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
  return file;
}

describe('parameters: defaults < pilot.json < environment < command line', () => {
  it('applies defaults', async () => {
    const p = await resolveParams({});
    expect(p).toMatchObject({
      minDiskMB: 2560,
      pollingTime: 20,
      remoteLoggerBufsize: 1000,
      remoteLoggerTimerInterval: 10,
      site: 'Unknown',
      backend: 'diracx',
      cvmfsLocations: ['/cvmfs/grid.cern.ch', '/cvmfs/dirac.egi.eu'],
    });
  });

  it('reads the new pilot.json schema with the VO and setup paths, later paths winning', async () => {
    const file = tempJson(NEW_SCHEMA);
    const p = await loadParams(parseArgv(['-F', file, '-N', 'ce01.example.org', '-Q', 'long', '--wnVO', 'lhcb']), {});
    expect(p.site).toBe('LCG.Example.org');
    expect(p.gridCEType).toBe('HTCondorCE');
    expect(p.ceType).toBe('Pool/Singularity');
    expect(p.commands).toEqual(['CheckWorkerNode', 'ConfigureCPURequirements', 'LaunchAgent']);
    expect(p.releaseVersion).toBe('v9.0.1');
    expect(p.pollingTime).toBe(40); // /lhcb/Production/Pilot beats /Defaults/Pilot
    expect(p.maxCycles).toBe(7);
    expect(p.pilotLogging).toBe(true);
    expect(p.remoteLoggerBufsize).toBe(50);
    expect(p.remoteLoggerTimerInterval).toBe(0);
  });

  it('reads the old schema (Setups key)', async () => {
    const file = tempJson({
      DefaultSetup: 'Dirac-Production',
      Setups: {
        Defaults: { Commands: { Defaults: ['CheckWorkerNode'] }, Version: 'v8.0.0' },
        'Dirac-Production': { Commands: { Defaults: 'LaunchAgent' } },
      },
    });
    const p = await loadParams(parseArgv(['-F', file]), {});
    expect(p.commands).toEqual(['LaunchAgent']);
    expect(p.releaseVersion).toBe('v8.0.0');
  });

  it('lets the environment beat pilot.json and the command line beat both', async () => {
    const file = tempJson(NEW_SCHEMA);
    const env = { DIRAC_PILOT_VO: 'lhcb', DIRAC_SITE: 'FromEnv' };
    expect((await loadParams(parseArgv(['-F', file, '-N', 'ce01.example.org']), env)).site).toBe('FromEnv');
    expect((await loadParams(parseArgv(['-F', file, '-N', 'ce01.example.org', '-n', 'FromCli']), env)).site).toBe('FromCli');
  });

  it('finds pilot.json in the current directory when -F is not given', async () => {
    const file = tempJson(NEW_SCHEMA);
    const p = await loadParams(parseArgv(['-N', 'ce01.example.org']), {}, path.dirname(file));
    expect(p.site).toBe('LCG.Example.org');
  });

  it('gives one-line CONFIG errors for a bad pilot.json', async () => {
    const cases: [unknown, RegExp][] = [
      ['{ not json', /not valid JSON/],
      [[1, 2], /top level/],
      [{ CEs: { x: 'not an object' } }, /CEs\.x/],
      [{ Defaults: { Pilot: { Commands: { Defaults: 42 } } } }, /Commands/],
      [{ Defaults: { Pilot: { MaxCycles: 'many' } } }, /MaxCycles: expected an integer/],
    ];
    for (const [content, pattern] of cases) {
      const file = tempJson(content);
      try {
        await loadParams(parseArgv(['-F', file]), {});
        throw new Error(`accepted ${JSON.stringify(content)}`);
      } catch (error) {
        expect(error).toBeInstanceOf(PilotError);
        expect((error as PilotError).exitCode).toBe(ExitCode.CONFIG);
        expect((error as PilotError).message).toMatch(pattern);
        expect((error as PilotError).message).not.toContain('\n');
      }
    }
  });

  it('gives CONFIG for a missing or unreadable -F file', async () => {
    const file = tempJson(NEW_SCHEMA);
    chmodSync(file, 0o000);
    for (const f of ['/nonexistent/pilot.json', ...(process.getuid?.() === 0 ? [] : [file])]) {
      await expect(loadParams(parseArgv(['-F', f]), {})).rejects.toThrow(/cannot read/);
    }
  });

  it('rejects malformed environment values naming the variable', () => {
    expect(() => paramsFromEnv({ DIRAC_PILOT_PROCESSORS: 'four' })).toThrow(/environment DIRAC_PILOT_PROCESSORS: expected an integer/);
  });

  it('validates merged values with the schema (exit code 2)', async () => {
    await expect(resolveParams({ runner: 'docker' })).rejects.toThrow(/--runner/);
    await expect(resolveParams({ diracxUrl: 'not a url' })).rejects.toThrow(/--diracx-url/);
    await expect(resolveParams({ pilotUUID: 'has spaces in it' })).rejects.toThrow(/--pilotUUID/);
    await expect(resolveParams({ db12Python: 'bin/python3' })).rejects.toThrow(/--db12-python: auto, none or an absolute path/);
    await expect(resolveParams({ remoteLoggerBufsize: 0 })).rejects.toThrow(/--RemoteLoggerBufsize/);
    await expect(resolveParams({ remoteLoggerTimerInterval: -1 })).rejects.toThrow(/--RemoteLoggerTimerInterval/);
    const refused = await resolveParams({ db12Python: 'bin/python3' }).catch((error: PilotError) => error);
    expect((refused as PilotError).exitCode).toBe(ExitCode.USAGE);
    expect((refused as PilotError).message).not.toContain('\n');
  });

  it('takes booleans and plain strings without a schema, and refuses anything else for them', async () => {
    // The fast path must agree with z.boolean() and z.string(): a number for a flag, or a number
    // for a plain-string option (from a typed pilot.json value), still goes to zod and fails.
    expect(await resolveParams({ json: true, ce: 'ce01.example.org', debug: false })).toMatchObject({
      json: true,
      ce: 'ce01.example.org',
      debug: false,
    });
    await expect(resolveParams({ json: 1 })).rejects.toThrow(/--json: Expected boolean, received number/);
    await expect(resolveParams({ ce: 42 })).rejects.toThrow(/--Name: Expected string, received number/);
  });
});

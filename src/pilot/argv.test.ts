import { describe, expect, it } from 'vitest';
import { parseArgv } from './argv.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

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

describe('parseArgv', () => {
  it('accepts DIRAC short and long forms, = and separate values', () => {
    const { params } = parseArgv([
      '-n',
      'LCG.CERN.cern',
      '--Name=ce01.cern.ch',
      '-Q',
      'long',
      '-X',
      'describe-resources,run-jobs',
      '-Z',
      'a=1,b=2',
      '-d',
      '-D',
      '1000',
      '-M5',
      '--PollingTime',
      '0.5',
      '--StopOnApplicationFailure=False',
      '--StopAfterFailedMatches',
      '3',
      '-P',
      '4',
      '-T',
      '86400',
      '-G',
      'lhcb_user',
      '--wnVO=lhcb',
      '--pilotUUID',
      'abc123',
      '-t',
      'GPU',
      '--tag=WholeNode',
      '--requiredTag',
      'Special',
      '--CVMFS_locations=/cvmfs/a,/cvmfs/b',
      '-z',
      '-g',
      'https://logger',
      '-a',
      'HTCondorCE',
      '-y',
      'Pool',
    ]);
    expect(params).toMatchObject({
      site: 'LCG.CERN.cern',
      ce: 'ce01.cern.ch',
      queue: 'long',
      commands: ['describe-resources', 'run-jobs'],
      commandOptions: { a: '1', b: '2' },
      debug: true,
      minDiskMB: 1000,
      maxCycles: 5,
      pollingTime: 0.5,
      stopOnApplicationFailure: false,
      stopAfterFailedMatches: 3,
      processors: 4,
      cpuTime: 86400,
      ownerGroup: 'lhcb_user',
      vo: 'lhcb',
      pilotUUID: 'abc123',
      tags: ['GPU', 'WholeNode'],
      requiredTags: ['Special'],
      cvmfsLocations: ['/cvmfs/a', '/cvmfs/b'],
      pilotLogging: true,
      loggerURL: 'https://logger',
      gridCEType: 'HTCondorCE',
      ceType: 'Pool',
    });
  });

  it('tells -n (site) from -N (CE): getopt is case-sensitive', () => {
    expect(parseArgv(['-n', 'S', '-N', 'C']).params).toEqual({ site: 'S', ce: 'C' });
  });

  it('rejects unknown options with one line and exit code 2', () => {
    expect(usageError(() => parseArgv(['--no-such-option'])).message).toBe('unknown option --no-such-option (see --help)');
    expect(usageError(() => parseArgv(['-q'])).message).toContain('unknown option -q');
  });

  it('rejects malformed values naming the option', () => {
    expect(usageError(() => parseArgv(['--MaxCycles', 'ten'])).message).toBe("--MaxCycles: expected an integer, got 'ten'");
    expect(usageError(() => parseArgv(['--PollingTime=fast'])).message).toContain('--PollingTime');
    expect(usageError(() => parseArgv(['--StopOnApplicationFailure=maybe'])).message).toContain('True or False');
    expect(usageError(() => parseArgv(['-Z', 'novalue'])).message).toContain('key=value');
    expect(usageError(() => parseArgv(['--name'])).message).toBe('--name: missing value');
    expect(usageError(() => parseArgv(['--name', '--debug'])).message).toBe('--name: missing value');
    expect(usageError(() => parseArgv(['-d1'])).message).toContain('takes no value');
  });

  it('keeps positionals and help apart', () => {
    expect(parseArgv(['--help']).help).toBe(true);
    expect(parseArgv(['extra']).positionals).toEqual(['extra']);
    expect(parseArgv(['--', '-n']).positionals).toEqual(['-n']);
  });
});

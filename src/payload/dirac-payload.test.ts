import { describe, expect, it } from 'vitest';
import { DiracEnvironmentMissing, payloadLaunch } from './dirac-payload.js';

const job = (executable: string) => ({ executable, arguments: ['jobDescription.xml', '-o', 'LogLevel=INFO'] });

describe('payloadLaunch', () => {
  it('starts plain executables as they are', () => {
    expect(payloadLaunch(job('run.sh'), {}, 'direct')).toEqual({
      argv: ['run.sh', 'jobDescription.xml', '-o', 'LogLevel=INFO'],
      image: null,
    });
  });

  it('runs dirac-jobexec in the DIRAC image with Apptainer, or after sourcing the DIRAC environment', () => {
    expect(payloadLaunch(job('$DIRACROOT/scripts/dirac-jobexec'), { image: '/cvmfs/dirac.egi.eu/img' }, 'apptainer')).toEqual({
      argv: ['dirac-jobexec', 'jobDescription.xml', '-o', 'LogLevel=INFO'],
      image: '/cvmfs/dirac.egi.eu/img',
    });
    expect(payloadLaunch(job('dirac-jobexec'), { image: '/img', environment: '/cvmfs/x/bashrc' }, 'direct').argv).toEqual([
      '/bin/sh',
      '-c',
      '. "$0" && exec "$@"',
      '/cvmfs/x/bashrc',
      'dirac-jobexec',
      'jobDescription.xml',
      '-o',
      'LogLevel=INFO',
    ]);
  });

  it('refuses dirac-jobexec without a DIRAC environment, saying what to configure', () => {
    expect(() => payloadLaunch(job('dirac-jobexec'), {}, 'direct')).toThrow(DiracEnvironmentMissing);
    expect(() => payloadLaunch(job('dirac-jobexec'), { image: '/img' }, 'direct')).toThrow(/--dirac-environment/);
  });
});

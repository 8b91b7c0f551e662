import { describe, expect, it } from 'vitest';
import { payloadEnvironment } from './environment.js';
import { describeJob } from './job-description.js';

const job = describeJob('[Executable="x"; Environment={"MY_VAR=1", "DIRACX_TOKEN=sneaky"};]', {
  jobId: 7,
  owner: 'a',
  ownerGroup: 'g',
  vo: 'v',
});
const slot = { id: 1, processors: 2, cpuIds: [0, 1], memoryMB: 1000, memoryLimitMB: 1000, gpus: ['GPU-x'], wholeNode: false };
const pilotEnv = {
  PATH: '/usr/bin',
  LANG: 'C.UTF-8',
  HOME: '/root',
  DIRACX_CREDENTIALS_PATH: '/secret/creds.json',
  X509_USER_PROXY: '/tmp/x509up_u0',
  BEARER_TOKEN: 'pilot-token',
  MY_SECRET: 'x',
  SLURM_JOB_ID: '12',
  X509_CERT_DIR: '/etc/grid-security/certificates',
  PILOT_SECRET_FILE: '/s',
};

describe('payloadEnvironment', () => {
  it('passes the DIRAC variables and the slot share, and nothing secret', () => {
    const env = payloadEnvironment({ pilotEnv, job, slot, site: 'LCG.Test.ch', jobDir: '/work/jobs/7', container: false });
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      DIRACJOBID: '7',
      DIRACSITE: 'LCG.Test.ch',
      DIRAC_PROCESSORS: '2',
      DIRAC_JOB_PROCESSORS: '2',
      OMP_NUM_THREADS: '2',
      CUDA_VISIBLE_DEVICES: 'GPU-x',
      HOME: '/work/jobs/7',
      TMPDIR: '/work/jobs/7/tmp',
      MY_VAR: '1',
      SLURM_JOB_ID: '12',
    });
    for (const name of ['DIRACX_CREDENTIALS_PATH', 'X509_USER_PROXY', 'BEARER_TOKEN', 'MY_SECRET', 'DIRACX_TOKEN', 'PILOT_SECRET_FILE']) {
      expect(env).not.toHaveProperty(name);
    }
    expect(Object.values(env)).not.toContain('pilot-token');
  });

  it('hides every GPU from a job that has none', () => {
    const env = payloadEnvironment({ pilotEnv, job, slot: { ...slot, gpus: [] }, site: 's', jobDir: '/j', container: false });
    expect(env.CUDA_VISIBLE_DEVICES).toBe('');
  });

  it('applies the Apptainer whitelist inside containers', () => {
    const env = payloadEnvironment({ pilotEnv, job, slot, site: 's', jobDir: '/j', container: true });
    expect(Object.keys(env).sort()).toEqual(
      [
        'CUDA_VISIBLE_DEVICES',
        'DIRACJOBID',
        'DIRACSITE',
        'DIRAC_JOB_PROCESSORS',
        'DIRAC_PROCESSORS',
        'DIRAC_WHOLENODE',
        'MY_VAR',
        'OMP_NUM_THREADS',
        'TMP',
        'TMPDIR',
        'X509_CERT_DIR',
      ].sort(),
    );
    expect(env.TMPDIR).toBe('/tmp');
  });

  it("adds the site's variables (--userEnvVariables, -k) after the secret filter, in containers too; the job's own still win", () => {
    const siteEnv = { SITE_SCRATCH_TOKEN: 'site-chosen', PYTHONPATH: '/opt/py', MY_VAR: 'from-site', DIRACSITE: 'not-this' };
    for (const container of [false, true]) {
      const env = payloadEnvironment({ pilotEnv, job, slot, site: 'LCG.Test.ch', jobDir: '/j', container, siteEnv });
      expect(env).toMatchObject({ SITE_SCRATCH_TOKEN: 'site-chosen', PYTHONPATH: '/opt/py', MY_VAR: '1', DIRACSITE: 'LCG.Test.ch' });
      expect(env).not.toHaveProperty('BEARER_TOKEN');
    }
  });
});

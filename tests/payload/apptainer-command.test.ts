import { describe, expect, it } from 'vitest';
import { apptainerArgs, apptainerEnvironment, checkBindSpec, containerExecutable } from '../../src/payload/runner/apptainer.js';
import { classifyContainerFailure } from '../../src/payload/runner/container-failures.js';
import type { ApptainerRunnerOptions } from '../../src/payload/runner/types.js';

const JOB = '/scratch/pilot/job42';
const base: ApptainerRunnerOptions = {
  kind: 'apptainer',
  binary: '/usr/bin/apptainer',
  image: '/cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/almalinux:9',
  binds: [],
  userns: false,
  nv: false,
  extraOptions: [],
  workdirBase: `${JOB}/.apptainer`,
  hostHasCvmfs: false,
};
const COMMON = [
  'exec',
  '--contain',
  '--ipc',
  '--pid',
  '--workdir',
  `${JOB}/.apptainer`,
  '--home',
  `${JOB}:/home`,
  '--pwd',
  '/home',
  '--cleanenv',
];
const WRAPPER = ['/bin/sh', '/home/.dirac-payload-wrapper.sh'];

describe('Apptainer command line (golden)', () => {
  it('plain job, no CVMFS on the host, a sandbox script as executable', () => {
    expect(apptainerArgs(base, JOB, ['./job.sh', '--events', '10'])).toEqual([
      ...COMMON,
      base.image,
      ...WRAPPER,
      '/home/job.sh',
      '--events',
      '10',
    ]);
  });

  it('CVMFS present, user namespaces usable, site binds and ContainerOptions', () => {
    const runner = {
      ...base,
      hostHasCvmfs: true,
      userns: true,
      binds: ['/data:/data:ro', '/scratch/shared'],
      extraOptions: ['--no-mount', 'hostfs'],
    };
    expect(apptainerArgs(runner, JOB, ['/usr/bin/python3', 'run.py'])).toEqual([
      ...COMMON,
      '--userns',
      '--bind',
      '/cvmfs',
      '--bind',
      '/data:/data:ro',
      '--bind',
      '/scratch/shared',
      '--no-mount',
      'hostfs',
      base.image,
      ...WRAPPER,
      '/usr/bin/python3',
      'run.py',
    ]);
  });

  it('GPU job gets --nv; /cvmfs is not bound twice when the site binds it already', () => {
    const runner = { ...base, hostHasCvmfs: true, nv: true, binds: ['/cvmfs:/cvmfs:ro'] };
    expect(apptainerArgs(runner, JOB, ['nvidia-smi'])).toEqual([
      ...COMMON,
      '--nv',
      '--bind',
      '/cvmfs:/cvmfs:ro',
      base.image,
      ...WRAPPER,
      'nvidia-smi',
    ]);
  });

  it('maps job-directory executables into the container and leaves the rest alone', () => {
    expect(containerExecutable('sub/dir/run', JOB)).toBe('/home/sub/dir/run');
    expect(containerExecutable(`${JOB}/x.sh`, JOB)).toBe('/home/x.sh');
    expect(containerExecutable('/bin/echo', JOB)).toBe('/bin/echo');
    expect(containerExecutable('echo', JOB)).toBe('echo');
    expect(containerExecutable('../escape.sh', JOB)).toBe('/scratch/pilot/escape.sh');
  });
});

describe('Apptainer environment', () => {
  const marker = { name: 'DIRAC_PILOT_PAYLOAD_MARKER', value: 'm1' };
  it('passes the payload env as APPTAINERENV_*, keeps runtime state in the job directory', () => {
    const env = apptainerEnvironment(
      base,
      JOB,
      { X509_USER_PROXY: '/home/proxy', DIRAC_SITE: 'LCG.X.y', HOME: '/root', PATH: '/opt/bin', APPTAINER_BIND: '/' },
      marker,
    );
    expect(env).toMatchObject({
      HOME: JOB,
      APPTAINER_CACHEDIR: `${JOB}/.apptainer/cache`,
      APPTAINER_TMPDIR: `${JOB}/.apptainer/build-tmp`,
      APPTAINERENV_X509_USER_PROXY: '/home/proxy',
      APPTAINERENV_DIRAC_SITE: 'LCG.X.y',
      APPTAINERENV_TMP: '/tmp',
      APPTAINERENV_TMPDIR: '/tmp',
      APPTAINERENV_DIRAC_PILOT_PAYLOAD_MARKER: 'm1',
      DIRAC_PILOT_PAYLOAD_MARKER: 'm1',
    });
    expect(env).not.toHaveProperty('APPTAINERENV_HOME');
    expect(env).not.toHaveProperty('APPTAINERENV_PATH');
    expect(env).not.toHaveProperty('APPTAINERENV_APPTAINER_BIND');
    expect(env).not.toHaveProperty('X509_USER_PROXY');
  });

  it('the diagnostic environment carries none of the payload variables', () => {
    const env = apptainerEnvironment(base, JOB, null, marker);
    expect(Object.keys(env).filter((k) => k.startsWith('APPTAINERENV_'))).toEqual(['APPTAINERENV_DIRAC_PILOT_PAYLOAD_MARKER']);
  });
});

describe('bind specifications', () => {
  it.each([
    ['/cvmfs', null],
    ['/data:/mnt/data', null],
    ['/data:/mnt/data:ro', null],
    ['data:/x', 'source must be an absolute path'],
    ['/a:b', 'destination must be an absolute path'],
    ['/a:/b:rx', 'options must be ro or rw'],
    ['/a,/b', 'contains a comma'],
    ['/a:/b:ro:x', 'more than src:dst:options'],
  ])('%s', (spec, problem) => {
    const found = checkBindSpec(spec);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });
});

describe('container failure patterns', () => {
  // Messages as Apptainer/Singularity print them.
  it.each([
    [
      'FATAL:   container creation failed: Failed to create user namespace: user namespace disabled',
      'userns',
      'Container failed: user namespaces unavailable',
    ],
    [
      'FATAL:   container creation failed: mount /proc/self/fd/3->/var/apptainer/mnt/session/rootfs error: while mounting image /proc/self/fd/3: failed to find loop device: no more available loop devices',
      'loop-devices',
      'Container failed: no loop devices available',
    ],
    [
      'FATAL:   could not open image /cvmfs/x/img.sif: failed to retrieve path for /cvmfs/x/img.sif: lstat /cvmfs/x/img.sif: no such file or directory',
      'image-not-found',
      'Container failed: image not found',
    ],
    [
      'FATAL:   could not open image /tmp/broken.sif: image format not recognized',
      'image-unreadable',
      'Container failed: image could not be opened',
    ],
    [
      "FATAL:   container creation failed: mount hook function failure: mount /data->/data error: while mounting /data: mount source /data doesn't exist",
      'bind',
      'Container failed: bind mount failed',
    ],
    [
      'FATAL:   while extracting /x.sif: root filesystem extraction failed: write /tmp/rootfs: no space left on device',
      'no-space',
      'Container failed: no space left on device',
    ],
  ])('%s', (stderr, pattern, minorStatus) => {
    expect(classifyContainerFailure(stderr, 255)).toEqual({ pattern, minorStatus });
  });

  it('an unknown failure still says what happened', () => {
    expect(classifyContainerFailure('something odd', 255)).toEqual({
      pattern: 'unknown',
      minorStatus: 'Container failed: apptainer exited with code 255 before the payload ran',
    });
  });
});

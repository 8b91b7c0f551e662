import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { planApptainer } from './apptainer.js';
import { payloadIsolationGapFor } from './index.js';
import { noSecretFiles, secretFilesOf, type SecretFiles } from './secret-files.js';
import type { ApptainerRunnerOptions, PayloadOptions } from './types.js';

/*
 * The pilot's credential files travel as a value (the runner choice's), not through a module-level
 * registration: two runner choices with different files each hide their own, and only their own.
 */

const root = mkdtempSync(path.join(tmpdir(), 'secret-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A pilot's credential file in a directory of its own under the shared scratch area. */
function credential(pilot: string, name: string): string {
  mkdirSync(path.join(root, 'scratch', pilot), { recursive: true });
  const file = path.join(root, 'scratch', pilot, name);
  writeFileSync(file, 'secret');
  return file;
}

/** Launch plan of one container payload that binds the whole scratch area, with these secret files. */
function containerArgs(job: string, secretFiles: SecretFiles): string[] {
  const cwd = path.join(root, job);
  mkdirSync(cwd, { recursive: true });
  const runner: ApptainerRunnerOptions = {
    kind: 'apptainer',
    binary: '/usr/bin/apptainer',
    image: '/images/el9.sif',
    binds: [path.join(root, 'scratch')],
    userns: false,
    nv: false,
    extraOptions: [],
    workdirBase: path.join(cwd, '.apptainer'),
    hostHasCvmfs: false,
  };
  const options: PayloadOptions = {
    jobId: 1,
    argv: ['/bin/true'],
    cwd,
    env: {},
    stdoutFile: 'std.out',
    stderrFile: 'std.err',
    runner,
    limits: { stalled: null, loopingSeconds: null, killGraceMs: 200 },
    logger: silentLogger(),
    secretFiles,
  };
  return planApptainer(options, runner, { name: 'M', value: 'v' }).args;
}

const masks = (args: string[]) => args.filter((a) => a.endsWith(':ro') && a.includes('/empty:'));

describe('secret files as a value', () => {
  it('secretFilesOf: resolved, deduplicated, empty entries skipped; each call its own list', () => {
    const a = secretFilesOf(['a/creds.json', undefined, '', 'a/creds.json'], {});
    const b = secretFilesOf(['/b/proxy'], { PILOT_NO_SECRET_HIDING: '1' });
    expect(a).toEqual({ files: [path.resolve('a/creds.json')] });
    expect(b).toEqual({ files: ['/b/proxy'], disabled: 'PILOT_NO_SECRET_HIDING is set' });
    expect(secretFilesOf(['/c'], { PILOT_NO_SECRET_HIDING: '0' })).toEqual({ files: ['/c'] });
    expect(noSecretFiles()).toEqual({ files: [] });
  });

  it('two runner choices with different secret files each mask their own directory, not the other’s', () => {
    const credsA = credential('pilot-a', 'creds.json');
    const credsB = credential('pilot-b', 'proxy.pem');
    const argsA = containerArgs('job-a', secretFilesOf([credsA], {}));
    const argsB = containerArgs('job-b', secretFilesOf([credsB], {}));
    expect(masks(argsA)).toEqual([`${path.join(root, 'job-a', '.apptainer', 'empty')}:${path.dirname(credsA)}:ro`]);
    expect(masks(argsB)).toEqual([`${path.join(root, 'job-b', '.apptainer', 'empty')}:${path.dirname(credsB)}:ro`]);
    // And a choice with none masks nothing, whatever the others hold.
    expect(masks(containerArgs('job-c', noSecretFiles()))).toEqual([]);
  });

  it('the isolation gap is the choice’s own: hiding turned off in one choice leaves the other alone', () => {
    const off = secretFilesOf(['/x/creds.json'], { PILOT_NO_SECRET_HIDING: '1' });
    expect(payloadIsolationGapFor({ kind: 'direct', secretFiles: off })).toBe('PILOT_NO_SECRET_HIDING is set');
    expect(payloadIsolationGapFor({ kind: 'direct', secretFiles: secretFilesOf(['/x/creds.json'], {}) })).not.toBe(
      'PILOT_NO_SECRET_HIDING is set',
    );
    expect(payloadIsolationGapFor({ kind: 'apptainer', secretFiles: off })).toBeNull();
  });
});

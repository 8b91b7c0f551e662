import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { secretBindMasks } from './secret-binds.js';

const root = mkdtempSync(path.join(tmpdir(), 'secret-binds-'));
const scratch = path.join(root, 'scratch');
const pilotDir = path.join(scratch, 'slurm-1');
mkdirSync(pilotDir, { recursive: true });
const cred = path.join(pilotDir, 'proxy.pem');
writeFileSync(cred, 'x');
symlinkSync(scratch, path.join(root, 'scratch-link'));
const EMPTY = '/job/.apptainer/empty';
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('secretBindMasks', () => {
  it('leaves binds that do not reach the credentials alone', () => {
    expect(secretBindMasks(['/cvmfs', `${root}/other:/data:ro`], [cred], EMPTY)).toEqual({ dropped: [], masks: [] });
  });

  it('masks the credential directory where a bind of an ancestor shows it, at its container path', () => {
    expect(secretBindMasks([`${scratch}:/site/scratch`], [cred], EMPTY).masks).toEqual([`${EMPTY}:/site/scratch/slurm-1:ro`]);
    expect(secretBindMasks([scratch], [cred], EMPTY).masks).toEqual([`${EMPTY}:${pilotDir}:ro`]);
    expect(secretBindMasks([`${pilotDir}:/p:rw`], [cred], EMPTY).masks).toEqual([`${EMPTY}:/p:ro`]);
  });

  it('sees through symlinks in the bind source', () => {
    expect(secretBindMasks([`${root}/scratch-link:/s`], [cred], EMPTY).masks).toEqual([`${EMPTY}:/s/slurm-1:ro`]);
  });

  it('drops a bind of the credential file itself', () => {
    expect(secretBindMasks([`${cred}:/tmp/x509up`, '/cvmfs'], [cred], EMPTY)).toEqual({ dropped: [`${cred}:/tmp/x509up`], masks: [] });
  });

  it('a sibling directory of the credentials is not a reason to mask', () => {
    mkdirSync(path.join(pilotDir, 'work'), { recursive: true });
    expect(secretBindMasks([path.join(pilotDir, 'work')], [cred], EMPTY)).toEqual({ dropped: [], masks: [] });
  });
});

import { describe, expect, it } from 'vitest';
import { outputLfn } from './output-data.js';

/** OutputData names are the job's: only plain names inside the job directory (issue 15). */
describe('OutputData local names stay in the job directory', () => {
  const request = { jobId: 12, owner: 'mallory', outputPath: '', jobDir: '/work/jobs/12' };
  const config = { vo: 'vo', lfnUserPrefix: 'user' };
  it.each(['../../creds.json', '/etc/passwd', 'sub/../../x', '..', '.', ''])('%j is refused', (name) => {
    expect(() => outputLfn(name, request, config)).toThrow(/only plain file names/);
  });
  it('an LFN names its last component inside the job directory; one with ".." is not an LFN', () => {
    expect(outputLfn('LFN:/vo/user/m/mallory/out/creds.json', request, config).localName).toBe('creds.json');
    expect(() => outputLfn('LFN:/vo/user/m/mallory/../../../creds.json', request, config)).toThrow(/not a valid LFN/);
  });
});

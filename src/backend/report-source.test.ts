import { describe, expect, it } from 'vitest';
import { JOB_WRAPPER_SOURCE, jobAgentSource } from './report-source.js';

describe('the Source labels of DIRAC v9’s pilot', () => {
  it('JobAgent@<site> for the job agent, the site as the pilot runs as it', () => {
    expect(jobAgentSource('LCG.CERN.cern')).toBe('JobAgent@LCG.CERN.cern');
  });

  it('a pilot told no site: JobAgent@Unknown, the site it matches as', () => {
    expect(jobAgentSource('')).toBe('JobAgent@Unknown');
    expect(jobAgentSource('  ')).toBe('JobAgent@Unknown');
  });

  it('plain JobWrapper for the wrapper; both start with "Job", which refreshes the job’s HeartBeatTime on the servers', () => {
    expect(JOB_WRAPPER_SOURCE).toBe('JobWrapper');
    expect([jobAgentSource('S'), JOB_WRAPPER_SOURCE].every((s) => s.startsWith('Job'))).toBe(true);
  });
});

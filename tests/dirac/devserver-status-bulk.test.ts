import { describe, expect, it } from 'vitest';
import { jobStateUpdate, type ServiceSetup } from '../../src/devserver-dirac/services.js';
import { DevState } from '../../src/devserver-dirac/state.js';

/*
 * The legacy dev server's JobStateUpdate.setJobStatusBulk behaves as DIRAC's
 * (JobStatusUtility.setJobStatusBulk with JobLoggingDB): a minor-only update keeps the status and
 * is logged with an "idem" status; an update older than the newest logged record is logged but
 * moves nothing; empty values are dropped; a Source is logged cut to its 32 characters.
 */
function setup() {
  const state = new DevState();
  const job = state.addJob({ jobId: 5, owner: 'o', ownerGroup: 'g', vo: 'v', fields: {} });
  const services: ServiceSetup = {
    state,
    releaseVersions: [],
    sandboxSE: 'SE',
    maxSandboxBytes: 0,
    cfgText: () => '',
    users: new Map(),
    userNames: new Map(),
  };
  const bulk = (updates: Record<string, Record<string, string>>) =>
    jobStateUpdate(services).rpc.setJobStatusBulk!([5, updates, false], {} as never);
  return { state, job, bulk };
}

describe('legacy dev server: setJobStatusBulk as DIRAC’s JobStateUpdate handles it', async () => {
  it('a minor-only update leaves the status as it is and is shown with the status before it', async () => {
    const { state, job, bulk } = setup();
    await bulk({ '2026-12-07 10:00:00.000001': { Status: 'Matched', MinorStatus: 'Assigned', Source: 'Matcher' } });
    expect(
      await bulk({ '2026-12-07 10:00:01.000000': { MinorStatus: 'Job Received by Agent', Source: 'JobAgent@DIRAC.Test.local' } }),
    ).toEqual({
      OK: true,
      Value: null,
    });
    expect([job.status, job.minorStatus]).toEqual(['Matched', 'Job Received by Agent']);
    expect(job.history.at(-1)).toEqual({
      timestamp: '2026-12-07 10:00:01.000000',
      minorStatus: 'Job Received by Agent',
      source: 'JobAgent@DIRAC.Test.local',
    });
    expect(state.loggingInfo(5).map((r) => [r.status, r.minorStatus, r.applicationStatus])).toEqual([
      ['Matched', 'Assigned', 'Unknown'],
      ['Matched', 'Job Received by Agent', 'Unknown'],
    ]);
  });

  it('an update older than the newest logged record is logged, in time order, but moves nothing', async () => {
    const { state, job, bulk } = setup();
    await bulk({ '2026-12-07 10:00:05.000000': { Status: 'Running', MinorStatus: 'Job Initialization', Source: 'JobWrapper' } });
    await bulk({ '2026-12-07 10:00:01.000000': { MinorStatus: 'Submitting To CE', Source: 'JobAgent@DIRAC.Test.local' } });
    expect([job.status, job.minorStatus]).toEqual(['Running', 'Job Initialization']);
    expect(state.loggingInfo(5).map((r) => r.minorStatus)).toEqual(['Submitting To CE', 'Job Initialization']);
  });

  it('a call whose newest update is current applies the updates from the newest logged one on', async () => {
    const { job, bulk } = setup();
    await bulk({ '2026-12-07 10:00:05.000000': { Status: 'Running', MinorStatus: 'Job Initialization', Source: 'JobWrapper' } });
    await bulk({
      '2026-12-07 10:00:01.000000': { Status: 'Failed', MinorStatus: 'old', Source: 'JobWrapper' },
      '2026-12-07 10:00:06.000000': { MinorStatus: 'Application', ApplicationStatus: 'Running', Source: 'JobWrapper' },
    });
    expect([job.status, job.minorStatus, job.applicationStatus]).toEqual(['Running', 'Application', 'Running']);
  });

  it('empty values are dropped, not written over the current ones', async () => {
    const { job, bulk } = setup();
    await bulk({ '2026-12-07 10:00:05.000000': { Status: 'Running', MinorStatus: 'Application', Source: 'JobWrapper' } });
    await bulk({ '2026-12-07 10:00:06.000000': { Status: '', MinorStatus: '', ApplicationStatus: 'step 2', Source: 'JobWrapper' } });
    expect([job.status, job.minorStatus, job.applicationStatus]).toEqual(['Running', 'Application', 'step 2']);
    expect(job.history.at(-1)).toEqual({ timestamp: '2026-12-07 10:00:06.000000', applicationStatus: 'step 2', source: 'JobWrapper' });
  });

  it('a Source longer than StatusSource’s 32 characters is logged cut to them, as addLoggingRecord does, not refused', async () => {
    const { state, job, bulk } = setup();
    // DIRAC v9's JobAgent label for a site with a long name: 36 characters.
    const source = 'JobAgent@LCG.UKI-SOUTHGRID-RALPP.uk';
    expect(await bulk({ '2026-12-07 10:00:01.000000': { MinorStatus: 'Job Received by Agent', Source: source } })).toEqual({
      OK: true,
      Value: null,
    });
    expect(job.minorStatus).toBe('Job Received by Agent');
    expect(state.loggingInfo(5).map((r) => r.source)).toEqual(['JobAgent@LCG.UKI-SOUTHGRID-RALPP']);
    // By characters, as Python slices a str: a 2-byte character counts once.
    await bulk({ '2026-12-07 10:00:02.000000': { MinorStatus: 'Installing Software', Source: `JobAgent@${'é'.repeat(30)}` } });
    expect(state.loggingInfo(5).at(-1)!.source).toBe(`JobAgent@${'é'.repeat(23)}`);
  });
});

import { describe, expect, it } from 'vitest';
import { parseQstatFull, parseQstatFullAttributes, pbsSources } from './pbs.js';
import { fixture, replayRunner, testContext } from './test-fixtures.js';

describe('parseQstatFull', () => {
  it('takes max used CPU, min CPU limit and the walltimes', () => {
    expect(parseQstatFull(fixture('pbs/qstat-f-running.txt'), 0)).toEqual({
      CPU: 18620,
      CPULimit: 144000,
      WallClock: 21600,
      WallClockLimit: 259200,
      Unit: 'CPU',
      source: 'pbs:qstat',
    });
  });
  it('joins continuation lines', () => {
    const attributes = parseQstatFullAttributes(fixture('pbs/qstat-f-running.txt'));
    expect(attributes.get('Output_Path')).toBe('ce01.example.org:/home/lhcbplt/sandbox/a7/pilot_lhcb_0001/pilot_lhcb_0001.o4711');
  });
  it("completes a just-started job with DIRAC's partial rules", () => {
    expect(parseQstatFull(fixture('pbs/qstat-f-just-started.txt'), 42)).toEqual({
      CPU: 42,
      CPULimit: 7200 * 0.8,
      WallClock: 42,
      WallClockLimit: 7200,
      Unit: 'CPU',
      source: 'pbs:qstat',
    });
  });
  it('refuses malformed, limitless and empty output', () => {
    expect(() => parseQstatFull(fixture('pbs/qstat-f-malformed.txt'), 0)).toThrow(/resources_used.cput is not a duration: 'soon'/);
    expect(() => parseQstatFull('Job Id: 1.x\n    job_state = R\n', 0)).toThrow(/neither Resource_List/);
    expect(() => parseQstatFull('', 0)).toThrow(/no "Job Id:"/);
  });
});

describe('pbs source', () => {
  it('runs qstat -f with the job id and reports an unknown job', async () => {
    const run = replayRunner({ 'qstat -f 4714.pbs01.example.org': { exitCode: 153, stderr: fixture('pbs/qstat-unknown-job.stderr') } });
    await expect(pbsSources[0]?.read(testContext({ jobId: '4714.pbs01.example.org', run }))).rejects.toThrow(
      'pbs:qstat: `qstat` exited with 153: qstat: Unknown Job Id 4714.pbs01.example.org',
    );
  });
});

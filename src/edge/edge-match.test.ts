import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { runEdgeAgent } from './edge-agent.js';
import { StagedLayout } from './layout.js';
import type { AllocationRequest, BatchSubmitter } from './slurm.js';
import { matchedJob, replyingBackend } from '../../tests/support/replying-backend.js';

/*
 * The edge agent checks each match reply as the job agent does (issue 15): a reply holding the same
 * job twice and a job it did not ask for stages one job directory, submits one allocation member,
 * and gives the extra job back.
 */
describe('edge agent: match replies checked before anything is staged', () => {
  it('the same job twice and one more than asked: one staged, one submitted, the extra given back', async () => {
    const job = (jobId: number) => matchedJob(jobId, '[Executable = "/bin/true";]');
    const { backend, statuses, rescheduled } = replyingBackend([[job(7), job(7), job(8)]]);
    const submitted: AllocationRequest[] = [];
    const batch: BatchSubmitter = {
      submit: async (request) => (submitted.push(request), `b${submitted.length}`),
      states: async (ids) => new Map(ids.map((id) => [id, 'pending' as const])),
      cancel: async () => undefined,
      partitionMaxMinutes: async () => null,
    };
    const root = mkdtempSync(path.join(tmpdir(), 'edge-match-'));
    const layout = new StagedLayout(path.join(root, 'shared'));
    const stop = new AbortController();
    const run = runEdgeAgent({
      backend,
      batch,
      layout,
      privateDir: path.join(root, 'private'),
      allocation: { cpusPerJob: 1, memoryMBPerJob: 100, gpusPerJob: 0, timeLimitMinutes: 10 },
      groupSize: 4,
      maxAllocations: 4,
      staleSeconds: 600,
      pollSeconds: 0.01,
      stopAfterFailedMatches: 1,
      deadline: null,
      drainFile: path.join(root, 'drain'),
      computeArgv: ['pilot', 'exec'],
      describeAllocation: () => ({ resources: {} as never, node: {} }),
      pilotStamp: 'edge',
      vo: 'v',
      site: 'S',
      logger: silentLogger(),
      shutdown: stop.signal,
      jobLimits: () => ({ stalled: null, loopingSeconds: null, killGraceMs: 200 }),
    });
    while (submitted.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    stop.abort();
    await run;
    expect(readdirSync(layout.jobsDir())).toEqual(['7']);
    expect(submitted).toHaveLength(1);
    expect(rescheduled).toEqual([8]);
    // Job 7 gets only the JobAgent's own reports (no status change), the first two held for the last
    // (DIRAC's sendFlag=False), which goes before its allocation is submitted.
    expect(statuses.filter(([id]) => id === 7)).toEqual([
      [7, { minorStatus: 'Job Received by Agent', source: 'JobAgent@S', sendWithNext: true }],
      [7, { minorStatus: 'Installing Software', source: 'JobAgent@S', sendWithNext: true }],
      [7, { minorStatus: 'Submitting To CE', source: 'JobAgent@S' }],
    ]);
  });
});

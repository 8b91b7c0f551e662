import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, MatchedJob } from '../backend/types.js';
import { silentLogger } from '../core/logger.js';
import { StagedBackend } from './staged-backend.js';
import { StagedLayout, stagedFiles, writeFileAtomic } from './layout.js';
import { initialEdgeState, loadEdgeState, relayEvents, saveEdgeState, type TrackedJob } from './relay.js';
import { tempDir } from '../../tests/support/temp-dir.js';

const job: MatchedJob = { jobId: 7, jdl: '[Executable="x";]', owner: 'u', ownerGroup: 'g', vo: 'v', credentials: null };

function recordingBackend() {
  const calls: string[] = [];
  const backend = {
    setJobStatus: async (id: number, u: { status?: string; minorStatus?: string }) =>
      void calls.push(`status ${id} ${u.status ?? '-'} ${u.minorStatus ?? '-'}`),
    setJobMetadata: async (id: number) => void calls.push(`metadata ${id}`),
    reschedule: async (ids: number[]) => void calls.push(`reschedule ${ids.join(',')}`),
    uploadOutputSandbox: async (j: MatchedJob, a: { size: number }) => (calls.push(`output ${j.jobId} ${a.size}`), 'SB:x'),
  } as unknown as Backend;
  return { backend, calls };
}

async function stage(root: string): Promise<{ dir: string; compute: StagedBackend }> {
  const layout = new StagedLayout(root);
  const dir = layout.jobDir(job.jobId);
  mkdirSync(dir, { recursive: true });
  await writeFileAtomic(
    stagedFiles(dir).job,
    JSON.stringify({
      ...job,
      site: 's',
      stagedAt: new Date().toISOString(),
      share: { processors: 1, memoryMB: 100, gpus: 0 },
      limits: { stalled: null, loopingSeconds: null, killGraceMs: 1000 },
      siteEnv: {},
    }),
  );
  const compute = new StagedBackend([dir]);
  expect(await compute.match()).toHaveLength(1);
  return { dir, compute };
}

describe('relay', () => {
  it('relays events in order, the output sandbox before the status that says it was uploaded, and stops at the end', async () => {
    const { dir, compute } = await stage(tempDir());
    await compute.setJobStatus(7, { status: 'Running', minorStatus: 'Job Initialization', source: 'JobWrapper' });
    await compute.setJobMetadata(7, { HostName: 'node1' });
    await compute.setJobStatus(7, { status: 'Completing', minorStatus: 'Uploading Output Sandbox', source: 'JobWrapper' });
    const archive = path.join(dir, 'src.tar.zst');
    writeFileSync(archive, Buffer.alloc(10));
    await compute.uploadOutputSandbox(job, { path: archive, sha256: 'a'.repeat(64), size: 10, format: 'tar.zst' });
    await compute.setJobStatus(7, { minorStatus: 'Output Sandbox Uploaded', source: 'JobWrapper' });
    await compute.setJobStatus(7, { status: 'Done', minorStatus: 'Execution Complete', source: 'JobWrapper' });
    await compute.jobEnded(7, 'Done', 'Execution Complete');

    const { backend, calls } = recordingBackend();
    const tracked: TrackedJob = { job, dir, state: initialEdgeState(), heartbeatRelayedMs: 0, finished: false };
    await relayEvents(tracked, backend, silentLogger());
    expect(calls).toEqual([
      'status 7 Running Job Initialization',
      'metadata 7',
      'status 7 Completing Uploading Output Sandbox',
      'output 7 10',
      'status 7 - Output Sandbox Uploaded',
      'status 7 Done Execution Complete',
    ]);
    expect(tracked.finished).toBe(true);
    expect((await loadEdgeState(dir))!.eventsRelayed).toBe(6);
  });

  it('resumes after a restart without sending anything twice, and waits for a half-written line', async () => {
    const { dir, compute } = await stage(tempDir());
    await compute.setJobStatus(7, { status: 'Running', minorStatus: 'Job Initialization', source: 'JobWrapper' });
    const first = recordingBackend();
    const tracked: TrackedJob = { job, dir, state: initialEdgeState(), heartbeatRelayedMs: 0, finished: false };
    await relayEvents(tracked, first.backend, silentLogger());
    await saveEdgeState(tracked);
    await compute.setJobStatus(7, { minorStatus: 'Application', source: 'JobWrapper' });
    appendFileSync(stagedFiles(dir).events, '{"type":"status","at":"2026-01-01T00:00:00Z",'); // being written

    // A new edge pilot: state from disk only.
    const second = recordingBackend();
    const resumed: TrackedJob = { job, dir, state: (await loadEdgeState(dir))!, heartbeatRelayedMs: 0, finished: false };
    await relayEvents(resumed, second.backend, silentLogger());
    expect(first.calls).toEqual(['status 7 Running Job Initialization']);
    expect(second.calls).toEqual(['status 7 - Application']);
  });

  it('lets only one allocation claim a staged job', async () => {
    const root = tempDir();
    const { dir } = await stage(root);
    expect(await new StagedBackend([dir]).match()).toEqual([]);
  });

  it('turns the kill file into one Kill command', async () => {
    const { dir, compute } = await stage(tempDir());
    expect(await compute.heartbeat(new Map([[7, { CPUConsumed: 1 }]]))).toEqual([]);
    writeFileSync(stagedFiles(dir).kill, 'now');
    expect(await compute.heartbeat(new Map([[7, { CPUConsumed: 2 }]]))).toEqual([{ jobId: 7, command: 'Kill', arguments: null }]);
    expect(await compute.heartbeat(new Map([[7, { CPUConsumed: 3 }]]))).toEqual([]);
  });
});

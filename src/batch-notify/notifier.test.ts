import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, StatusUpdate } from '../backend/types.js';
import { silentLogger } from '../core/logger.js';
import { BatchNotifier, withBatchNotifier } from './notifier.js';
import { batchTargets, classadString, htcondorChirp, slurmCommentText, type NotifyCommand } from './targets.js';

const work = mkdtempSync(path.join(tmpdir(), 'batch-notify-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A condor_chirp stand-in: a real executable that appends its argv, one line per call. */
function fakeChirp(dir: string, exitCode = 0): string {
  const file = path.join(dir, 'condor_chirp');
  writeFileSync(file, `#!/bin/sh\nprintf '%s|' "$@" >> "${dir}/calls"\necho >> "${dir}/calls"\nexit ${exitCode}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('batch targets', () => {
  it('chirps only where the starter enabled chirp for this job', () => {
    const dir = mkdtempSync(path.join(work, 'chirp-'));
    fakeChirp(dir);
    expect(htcondorChirp({ PATH: dir })).toBeNull();
    expect(htcondorChirp({ PATH: dir, _CONDOR_CHIRP_CONFIG: path.join(dir, '.chirp.config') })?.name).toBe('htcondor-chirp');
    expect(htcondorChirp({ PATH: '/nonexistent', _CONDOR_CHIRP_CONFIG: 'x' })).toBeNull();
  });

  it('updates the Slurm comment only with a job id that looks like one', () => {
    const dir = mkdtempSync(path.join(work, 'scontrol-'));
    writeFileSync(path.join(dir, 'scontrol'), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'scontrol'), 0o755);
    expect(batchTargets({ PATH: dir, SLURM_JOB_ID: '4242' }).map((t) => t.name)).toEqual(['slurm-comment']);
    expect(batchTargets({ PATH: dir, SLURM_JOB_ID: '42;rm -rf /' })).toEqual([]);
  });

  it('keeps job-chosen text a ClassAd string and a printable comment', () => {
    expect(classadString('lhcb"; Requirements = false')).toBe('"lhcb Requirements = false"');
    const text = slurmCommentText({ pilotStamp: 'p1', vo: 'vo\u0007x', jobs: new Map([[1, 'Running']]), lastJobId: 1 });
    expect(text).toBe('DIRAC pilot p1 vo=vo?x jobs=1:Running');
  });
});

describe('BatchNotifier', () => {
  it('sends the latest picture with each state change, through a real condor_chirp', async () => {
    const dir = mkdtempSync(path.join(work, 'notify-'));
    fakeChirp(dir);
    const targets = batchTargets({ PATH: dir, _CONDOR_CHIRP_CONFIG: path.join(dir, '.chirp.config') });
    const notifier = new BatchNotifier({ targets, pilotStamp: 'stamp-1', vo: 'lhcb', logger: silentLogger() });
    notifier.jobState(12, 'Running');
    await notifier.idle();
    const calls = readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
    expect(calls).toEqual([
      'set_job_attr_delayed|ChirpDiracPilotStamp|"stamp-1"|',
      'set_job_attr_delayed|ChirpDiracVO|"lhcb"|',
      'set_job_attr_delayed|ChirpDiracJobID|12|',
      'set_job_attr_delayed|ChirpDiracJobState|"Running"|',
      'set_job_attr_delayed|ChirpDiracJobs|"12:Running"|',
    ]);
  });

  it('coalesces changes that arrive while a command runs: the last picture wins', async () => {
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const run = async (command: NotifyCommand): Promise<void> => {
      seen.push(command.args.join(' '));
      await gate;
    };
    const target = {
      name: 'slurm-comment' as const,
      commands: (p: { jobs: ReadonlyMap<number, string> }) => [{ file: 'x', args: [[...p.jobs].map(([id, s]) => `${id}:${s}`).join(',')] }],
    };
    const notifier = new BatchNotifier({ targets: [target], pilotStamp: 's', vo: 'v', logger: silentLogger(), run });
    notifier.jobState(1, 'Matched');
    notifier.jobState(1, 'Running');
    notifier.jobState(2, 'Matched');
    release();
    await notifier.idle();
    expect(seen).toEqual(['1:Matched', '1:Running,2:Matched']);
  });

  it('gives a failing target up after three failures, and never throws', async () => {
    const dir = mkdtempSync(path.join(work, 'fail-'));
    fakeChirp(dir, 1);
    const targets = batchTargets({ PATH: dir, _CONDOR_CHIRP_CONFIG: 'x' });
    const warnings: string[] = [];
    const logger = { ...silentLogger(), warn: (_o: unknown, msg: string) => warnings.push(msg), debug: () => {} } as never;
    const notifier = new BatchNotifier({ targets, pilotStamp: 's', vo: 'v', logger });
    for (let i = 1; i <= 4; i += 1) {
      notifier.jobState(i, 'Running');
      await notifier.idle();
    }
    expect(notifier.active).toEqual([]);
    expect(warnings).toHaveLength(1);
    // The first command of each attempt failed; the fourth change found no target left.
    expect(readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('a command past its deadline counts as a failure instead of holding the pilot', async () => {
    const dir = mkdtempSync(path.join(work, 'slow-'));
    writeFileSync(path.join(dir, 'condor_chirp'), '#!/bin/sh\nexec sleep 30\n');
    chmodSync(path.join(dir, 'condor_chirp'), 0o755);
    const notifier = new BatchNotifier({
      targets: batchTargets({ PATH: dir, _CONDOR_CHIRP_CONFIG: 'x' }),
      pilotStamp: 's',
      vo: 'v',
      logger: silentLogger(),
      timeoutMs: 200,
      maxFailures: 1,
    });
    notifier.jobState(1, 'Running');
    await notifier.idle();
    expect(notifier.active).toEqual([]);
  });
});

describe('withBatchNotifier', () => {
  it('tells the batch system every status the backend is given, and still reports it', async () => {
    const reported: Array<[number, StatusUpdate]> = [];
    class FakeBackend {
      readonly kind = 'diracx' as const;
      #sent = reported;
      async setJobStatus(jobId: number, update: StatusUpdate): Promise<void> {
        this.#sent.push([jobId, update]);
      }
      async flush(): Promise<void> {
        this.#sent.push([0, { source: 'flush' }]);
      }
    }
    const told: string[] = [];
    const target = { name: 'slurm-comment' as const, commands: () => [{ file: 'x', args: [] }] };
    const notifier = new BatchNotifier({
      targets: [target],
      pilotStamp: 's',
      vo: 'v',
      logger: silentLogger(),
      run: async () => void told.push('x'),
    });
    const backend = withBatchNotifier(new FakeBackend() as unknown as Backend, notifier);
    await backend.setJobStatus(5, { status: 'Running', source: 'JobWrapper' });
    await backend.setJobStatus(5, { minorStatus: 'Application', source: 'JobWrapper' });
    await backend.flush(); // a private field on the real object: the proxy keeps `this`
    await notifier.idle();
    expect(reported.map(([id]) => id)).toEqual([5, 5, 0]);
    expect(told).toEqual(['x']);
  });
});

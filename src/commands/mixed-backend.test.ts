import { describe, expect, it } from 'vitest';
import type { Backend } from '../backend/types.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { composeMixedBackend } from './mixed-backend.js';

/** A backend that records every call it gets, in order, under its own name. */
function recorder(name: 'dirac' | 'diracx', log: string[], extra: Partial<Backend> = {}): Backend {
  const note = (method: string) => async () => {
    log.push(`${name}.${method}`);
    return method === 'match' || method === 'heartbeat' ? [] : method === 'uploadOutputSandbox' ? 'pfn' : undefined;
  };
  const methods = [
    'registerPilot',
    'setPilotStatus',
    'match',
    'setJobStatus',
    'heartbeat',
    'setJobMetadata',
    'reschedule',
    'downloadSandbox',
    'uploadOutputSandbox',
    'flush',
    'close',
  ];
  return { kind: name, ...Object.fromEntries(methods.map((m) => [m, note(m)])), ...extra } as unknown as Backend;
}

const job = { jobId: 7, jdl: '', owner: 'alice', ownerGroup: 'g', vo: 'v', credentials: null };
const archive = { path: '/x', sha256: '', size: 0, format: 'tar.bz2' as const };

describe('the v9 + DiracX split (composeMixedBackend)', () => {
  it('sends JobStateUpdate calls to DiracX and everything v9 keeps on DIRAC to the legacy backend', async () => {
    const log: string[] = [];
    const mixed = composeMixedBackend(recorder('dirac', log), recorder('diracx', log));
    expect(mixed.kind).toBe('dirac+diracx');
    await mixed.registerPilot({ pilotStamp: 's', vo: 'v', gridType: 'DIRAC', gridSite: 'x', destinationSite: 'y', pilotReference: null });
    await mixed.match({ pilotStamp: 's', vo: 'v', maxJobs: 1, node: {}, resources: {} as never });
    await mixed.setJobStatus(7, { status: 'Running', minorStatus: 'Job Initialization', source: 'JobWrapper' });
    await mixed.setJobMetadata(7, { JobType: 'User' });
    await mixed.heartbeat(new Map([[7, { CPUConsumed: 1 }]]));
    await mixed.downloadSandbox(job, 'SB:SandboxSE|/S3/x', '/tmp/x');
    await mixed.uploadOutputSandbox(job, archive);
    await mixed.setPilotStatus('Done');
    expect(log).toEqual([
      'dirac.registerPilot',
      'dirac.match',
      'diracx.setJobStatus',
      'diracx.setJobMetadata',
      'diracx.heartbeat',
      'dirac.downloadSandbox',
      'dirac.uploadOutputSandbox',
      'dirac.setPilotStatus',
    ]);
  });

  it('delivers the queued statuses to DiracX before JobManager.rescheduleJob, as v9 JobAgent orders them', async () => {
    const log: string[] = [];
    const mixed = composeMixedBackend(recorder('dirac', log), recorder('diracx', log));
    await mixed.reschedule([7]);
    expect(log).toEqual(['diracx.flush', 'dirac.reschedule']);
  });

  it('takes the sandbox format and data services from DIRAC, the Kill semantics and spool from DiracX', () => {
    const log: string[] = [];
    const dataServices = () => null;
    const spoolNow = () => 3;
    const mixed = composeMixedBackend(
      recorder('dirac', log, { outputSandboxFormat: 'tar.bz2', killedJobsEndFailed: true, dataServices }),
      recorder('diracx', log, { spoolNow, tokenVo: () => 'gridpp' }),
    );
    expect(mixed.outputSandboxFormat).toBe('tar.bz2');
    // DiracX's heartbeat keeps Killed: the pilot does not turn a Kill into Failed itself.
    expect(mixed.killedJobsEndFailed).toBeUndefined();
    expect(mixed.dataServices?.(job)).toBeNull();
    expect(mixed.spoolNow?.()).toBe(3);
    expect(mixed.tokenVo?.()).toBe('gridpp');
  });

  it('flushes and closes both sides even when one fails, then reports the failure', async () => {
    const log: string[] = [];
    const failing = recorder('diracx', log, {
      close: async () => {
        log.push('diracx.close');
        throw new Error('gone');
      },
    });
    const mixed = composeMixedBackend(recorder('dirac', log), failing);
    await expect(mixed.close()).rejects.toThrow('gone');
    expect(log.sort()).toEqual(['dirac.close', 'diracx.close']);
  });

  it('after DiracX refused the pilot’s credentials, a job not yet reported and any new match get that refusal; reported jobs go on', async () => {
    const log: string[] = [];
    const refusal = new PilotError(ExitCode.AUTH_REFUSED, 'token refresh refused (HTTP 401)');
    const asked: number[] = [];
    const diracx = recorder('diracx', log, {
      setJobStatus: async (jobId: number) => {
        asked.push(jobId);
        if (jobId !== 3) throw refusal;
      },
    });
    const mixed = composeMixedBackend(recorder('dirac', log), diracx);
    await mixed.setJobStatus(3, { status: 'Running', source: 'JobWrapper' });
    await expect(mixed.setJobStatus(1, { status: 'Running', source: 'JobWrapper' })).rejects.toBe(refusal);
    // A job matched meanwhile: its first report is refused at once, without asking DiracX.
    await expect(mixed.setJobStatus(2, { status: 'Running', source: 'JobWrapper' })).rejects.toBe(refusal);
    // A job reported before keeps reporting to DiracX (which spools what it cannot deliver).
    await mixed.setJobStatus(3, { status: 'Done', source: 'JobWrapper' });
    expect(asked).toEqual([3, 1, 3]);
    await expect(mixed.match({ pilotStamp: 's', vo: 'v', maxJobs: 1, node: {}, resources: {} as never })).rejects.toBe(refusal);
    await mixed.reschedule([2]);
    expect(log).toEqual(['dirac.reschedule']);
  });

  it('an unreachable DiracX is not a refusal: later reports still go to it', async () => {
    const log: string[] = [];
    let calls = 0;
    const diracx = recorder('diracx', log, {
      setJobStatus: async () => {
        calls++;
        throw new PilotError(ExitCode.SERVER_UNREACHABLE, 'connection refused');
      },
    });
    const mixed = composeMixedBackend(recorder('dirac', log), diracx);
    await expect(mixed.setJobStatus(1, { source: 'x' })).rejects.toThrow('connection refused');
    await expect(mixed.setJobStatus(1, { source: 'x' })).rejects.toThrow('connection refused');
    expect(calls).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { JOB_STATUSES, type JobStatus } from '../../src/backend/types.js';
import { isAllowedTransition, nextStatus } from '../../src/devserver/state-machine.js';

/** The table as diracx-api.md §2 lists it (DIRACCommon JobsStateMachine), written out independently. */
const REFERENCE: Partial<Record<JobStatus, JobStatus[]>> = {
  Waiting: ['Matched', 'Rescheduled', 'Deleted', 'Killed'],
  Matched: ['Running', 'Failed', 'Rescheduled', 'Killed'],
  Running: ['Stalled', 'Done', 'Failed', 'Rescheduled', 'Completing', 'Killed', 'Received'],
  Completing: ['Done', 'Failed', 'Completed', 'Stalled', 'Killed'],
  Completed: ['Done', 'Failed'],
  Stalled: ['Running', 'Failed', 'Killed'],
  Failed: ['Rescheduled', 'Deleted'],
  Done: ['Deleted'],
  Killed: ['Deleted'],
  Rescheduled: ['Waiting', 'Received', 'Deleted', 'Failed', 'Killed'],
};

describe('job state machine', () => {
  for (const [from, targets] of Object.entries(REFERENCE) as [JobStatus, JobStatus[]][]) {
    it(`${from} allows exactly ${targets.join(', ')} (and itself)`, () => {
      for (const to of JOB_STATUSES) {
        expect(isAllowedTransition(from, to), `${from} -> ${to}`).toBe(to === from || targets.includes(to));
      }
    });
  }

  it('refuses silently by keeping the current status', () => {
    expect(nextStatus('Waiting', 'Running')).toEqual({ status: 'Waiting', refused: true });
    expect(nextStatus('Killed', 'Running')).toEqual({ status: 'Killed', refused: true });
    expect(nextStatus('Matched', 'Received')).toEqual({ status: 'Matched', refused: true });
    expect(nextStatus('Matched', 'Running')).toEqual({ status: 'Running', refused: false });
  });

  it('Deleted is a dead end', () => {
    for (const to of JOB_STATUSES) if (to !== 'Deleted') expect(isAllowedTransition('Deleted', to)).toBe(false);
  });
});

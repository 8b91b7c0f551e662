import type { JobStatus } from '../backend/types.js';

/**
 * DIRAC's JobsStateMachine (DIRACCommon WorkloadManagementSystem/Client/JobStatus.py), which
 * DiracX applies to every status update. The rows for Waiting and later are the table in
 * diracx-api.md §2; the earlier ones (Submitting … Staging) are DIRAC's, needed only for the
 * submission path the dev server drives itself. DIRAC's Scouting state is left out: DiracX's
 * JobStatus has no such value.
 */
const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  Submitting: ['Received', 'Checking', 'Deleted', 'Killed'],
  Received: ['Checking', 'Staging', 'Waiting', 'Failed', 'Deleted', 'Killed'],
  Checking: ['Staging', 'Waiting', 'Rescheduled', 'Failed', 'Deleted', 'Killed'],
  Staging: ['Checking', 'Waiting', 'Failed', 'Killed'],
  Waiting: ['Matched', 'Rescheduled', 'Deleted', 'Killed'],
  Matched: ['Running', 'Failed', 'Rescheduled', 'Killed'],
  Running: ['Stalled', 'Done', 'Failed', 'Rescheduled', 'Completing', 'Killed', 'Received'],
  Stalled: ['Running', 'Failed', 'Killed'],
  Completing: ['Done', 'Failed', 'Completed', 'Stalled', 'Killed'],
  Completed: ['Done', 'Failed'],
  Done: ['Deleted'],
  Failed: ['Rescheduled', 'Deleted'],
  Killed: ['Deleted'],
  Rescheduled: ['Waiting', 'Received', 'Deleted', 'Failed', 'Killed'],
  Deleted: [],
};

export function isAllowedTransition(from: JobStatus, to: JobStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/**
 * The status a requested one turns into: itself when allowed, else the current one (DIRAC's
 * silent refusal; the caller appends "(SM)" to the Source).
 */
export function nextStatus(current: JobStatus, requested: JobStatus): { status: JobStatus; refused: boolean } {
  return isAllowedTransition(current, requested) ? { status: requested, refused: false } : { status: current, refused: true };
}

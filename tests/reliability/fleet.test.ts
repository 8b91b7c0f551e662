// The checker the fault suite relies on must itself catch what it claims to: synthetic histories.
import { describe, expect, it } from 'vitest';
import type { JobSnapshot } from '../../src/devserver/index.js';
import { checkFinal, lostInMatchReply } from './fleet.js';

type Entry = JobSnapshot['history'][number];
const entry = (status: string, minorStatus: string, timestamp: string, source = 'JobWrapper', applicationStatus = 'Unknown'): Entry =>
  ({ status, minorStatus, applicationStatus, source, timestamp }) as Entry;
const job = (history: Entry[]): JobSnapshot =>
  ({ id: 7, status: history[history.length - 1]!.status, minorStatus: history[history.length - 1]!.minorStatus, history }) as JobSnapshot;

const path = [
  entry('Received', 'Job accepted', 't0', 'JobManager'),
  entry('Waiting', 'Pilot Agent Submission', 't0', 'JobScheduling'),
  entry('Matched', 'Assigned', 't1', 'Matcher'),
  entry('Running', 'Job Initialization', 't2'),
  entry('Completing', 'Output Sandbox Uploaded', 't3'),
  entry('Done', 'Execution Complete', 't4'),
];

describe('checkFinal', () => {
  it('accepts one end', () => {
    expect(checkFinal(job(path))).toEqual({ problem: null, resends: 0 });
  });
  it('counts a batch delivered twice (logged under the final status the second time) as resends, not a new end', () => {
    const again = [
      entry('Done', 'Output Sandbox Uploaded', 't3', 'JobWrapper', 'Finished'),
      entry('Done', 'Execution Complete', 't4', 'JobWrapper', 'Finished'),
    ];
    expect(checkFinal(job([...path, ...again]))).toEqual({ problem: null, resends: 2 });
  });
  it('refuses a second, different end', () => {
    expect(checkFinal(job([...path, entry('Failed', 'Job Wrapper Exception', 't5')])).problem).toMatch(/changed after its final status/);
  });
  it('refuses a new report after the end, even under the same status', () => {
    expect(checkFinal(job([...path, entry('Done', 'Uploading Output Sandbox', 't5')])).problem).toMatch(/changed after its final status/);
  });
  it('refuses a job left non-final', () => {
    expect(checkFinal(job(path.slice(0, 4))).problem).toMatch(/left Running/);
  });
});

describe('lostInMatchReply', () => {
  it('is a Matched job no pilot ever reported on', () => {
    expect(lostInMatchReply(job(path.slice(0, 3)))).toBe(true);
    expect(lostInMatchReply(job([...path.slice(0, 3), entry('Matched', 'Assigned', 't2', 'Heartbeat')]))).toBe(false);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { failoverRequest } from '../data/output-data.js';
import { PyTuple, ddecode } from './codec/index.js';
import { forwardDisetArguments, statusBulkStub, type StatusRecords } from './forward-diset.js';
import { requestJson } from './rms.js';

/** DIRAC's own DEncode.encode of the stubs v9's clients return (tests/fixtures/forward-diset/gen_forward_diset.py). */
const golden = JSON.parse(readFileSync(new URL('../../tests/fixtures/forward-diset/vectors.json', import.meta.url), 'utf8')) as {
  records: StatusRecords;
  jobId: number;
  vectors: { note: string; arguments: string; decodes_to_tuple: boolean; decode_length: number }[];
};
const vector = (prefix: string) => golden.vectors.find((v) => v.note.startsWith(prefix))!;

describe('ForwardDISET arguments', () => {
  it('an HTTPS JobStateUpdate: byte for byte what DIRAC encodes for the TornadoClient stub', () => {
    const stub = statusBulkStub(golden.jobId, golden.records, { protocol: 'https' });
    expect(forwardDisetArguments(stub)).toBe(vector('tornado').arguments);
  });

  it('a DIPS JobStateUpdate: its kwargs, written as tuples (the form v9 replays), as DIRAC encodes them', () => {
    const stub = statusBulkStub(golden.jobId, golden.records, { protocol: 'dips' });
    const args = forwardDisetArguments(stub);
    expect(args).toBe(vector('dips kwargs in tuples').arguments);
    // DIRAC's own DIPS stub is lists, which its ForwardDISET handler does not take as a DISET stub.
    expect(vector('dips stub exactly').decodes_to_tuple).toBe(false);
    expect(args.startsWith('tt')).toBe(true);
  });

  it('decodes back to the call the RMS agent replays, non-ASCII statuses counted in bytes', () => {
    const args = forwardDisetArguments(statusBulkStub(golden.jobId, golden.records, { protocol: 'https', useAccessToken: true }));
    const bytes = Buffer.from(args, 'utf8');
    const exact = ddecode(bytes, { exact: true });
    expect(exact.end).toBe(bytes.length);
    expect(exact.value).toBeInstanceOf(PyTuple);
    expect((exact.value as PyTuple).items[0]).toBeInstanceOf(PyTuple);
    const [base, method, callArgs] = ddecode(bytes).value as [unknown[], string, unknown[]];
    expect(base).toEqual(['WorkloadManagement/JobStateUpdate', { timeout: 600, useAccessToken: true }]);
    expect(method).toBe('setJobStatusBulk');
    expect(callArgs).toEqual([101, golden.records, false]);
  });

  it('goes into the request JSON as Operation.Arguments, with no files', () => {
    const args = vector('tornado').arguments;
    const request = failoverRequest(
      { jobId: 101, jobName: 'my job', owner: 'alice', ownerGroup: 'gridpp_user' },
      [{ Type: 'ForwardDISET', Arguments: args, Files: [] }],
      { failoverRequestDelayMinutes: 45 },
    );
    const json = JSON.parse(requestJson(request, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))) as Record<string, unknown>;
    expect(json).toMatchObject({
      RequestName: 'myjob_job_101',
      JobID: 101,
      Owner: 'alice',
      Status: 'Waiting',
      NotBefore: '2026-01-02 03:49:05',
    });
    expect(json.Operations).toEqual([
      expect.objectContaining({ Type: 'ForwardDISET', Status: 'Waiting', Arguments: args, Order: 0, Files: [] }),
    ]);
  });
});

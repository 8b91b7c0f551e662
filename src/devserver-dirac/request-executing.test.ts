import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StoredRequest } from './data-services.js';
import { sOK, type ServiceHandlers } from './dips-server.js';
import { executeWaitingRequests } from './request-executing.js';

/** DIRAC's own DEncode of the stubs (tests/fixtures/forward-diset/gen_forward_diset.py). */
const golden = JSON.parse(readFileSync(new URL('../../tests/fixtures/forward-diset/vectors.json', import.meta.url), 'utf8')) as {
  vectors: { note: string; arguments: string }[];
};
const args = (prefix: string) => golden.vectors.find((v) => v.note.startsWith(prefix))!.arguments;

function stored(argumentsText: string, notBefore = '2026-01-02 03:49:05'): StoredRequest {
  const parsed = {
    RequestName: 'job_101',
    Owner: 'alice',
    OwnerGroup: 'gridpp_user',
    Status: 'Waiting',
    NotBefore: notBefore,
    Operations: [{ Type: 'ForwardDISET', Status: 'Waiting', Arguments: argumentsText, Files: [] }],
  };
  return { id: 1, json: JSON.stringify(parsed), parsed, callerDN: '/CN=alice' };
}

describe('the dev RequestExecutingAgent pass (ForwardDISET)', () => {
  const calls: { args: unknown[]; dn: string }[] = [];
  const services: Record<string, ServiceHandlers> = {
    'WorkloadManagement/JobStateUpdate': { rpc: { setJobStatusBulk: (a, ctx) => (calls.push({ args: a, dn: ctx.identityDN }), sOK()) } },
  };
  const dnOf = (owner: unknown) => (owner === 'alice' ? '/CN=alice' : undefined);
  const after = new Date(Date.UTC(2026, 0, 2, 4));

  it('replays a tuple stub on behalf of the owner, once its NotBefore has come', async () => {
    calls.length = 0;
    const request = stored(args('tornado'));
    expect(await executeWaitingRequests([request], services, dnOf, new Date(Date.UTC(2026, 0, 2, 3, 30)))).toEqual([]);
    expect(await executeWaitingRequests([request], services, dnOf, after)).toEqual([
      { id: 1, status: 'Done', operations: [{ type: 'ForwardDISET', outcome: 'Done' }] },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.dn).toBe('/CN=alice');
    expect(calls[0]!.args[0]).toBe(101);
    expect(request.parsed.Status).toBe('Done');
  });

  it("fails the list stub DIRAC v9's DIPS client writes, as v9's handler does", async () => {
    calls.length = 0;
    const request = stored(args('dips stub exactly'));
    const [result] = await executeWaitingRequests([request], services, dnOf, after);
    expect(result).toEqual({ id: 1, status: 'Waiting', operations: [{ type: 'ForwardDISET', outcome: 'Unknown type of stub' }] });
    expect(calls).toHaveLength(0);
  });
});

import { describe, expect, it } from 'vitest';
import { isFailoverSE, optimizeRequest } from './request-optimize.js';

const pair = (lfn: string, target: string) => [
  { Type: 'ReplicateAndRegister', SourceSE: 'SE-FAILOVER', TargetSE: target, Files: [{ LFN: lfn }] },
  { Type: 'RemoveReplica', TargetSE: 'SE-FAILOVER', Files: [{ LFN: lfn }] },
];

describe("the dev ReqManager stores requests optimized, as DIRAC's putRequest does (Request.optimize)", () => {
  it('regroups failover series, drops a failover SourceSE and merges alike operations', () => {
    const stored = optimizeRequest({
      RequestName: 'r',
      Operations: [...pair('/vo/b', 'SE-B'), ...pair('/vo/a', 'SE-A'), ...pair('/vo/c', 'SE-A')],
    });
    const ops = stored.Operations as { Type: string; SourceSE?: string; TargetSE: string; Order: number; Files: { LFN: string }[] }[];
    expect(ops.map((op) => [op.Order, op.Type, op.SourceSE ?? null, op.TargetSE, op.Files.map((f) => f.LFN)])).toEqual([
      [0, 'ReplicateAndRegister', '', 'SE-A', ['/vo/a', '/vo/c']],
      [1, 'ReplicateAndRegister', '', 'SE-B', ['/vo/b']],
      [2, 'RemoveReplica', null, 'SE-FAILOVER', ['/vo/b', '/vo/a', '/vo/c']],
    ]);
  });

  it('keeps a SourceSE that is not a failover SE, and operations sharing a file apart', () => {
    const ops = optimizeRequest({
      Operations: [
        { Type: 'ReplicateAndRegister', SourceSE: 'SE-DISK', TargetSE: 'SE-B', Files: [{ LFN: '/vo/a' }] },
        { Type: 'RemoveReplica', TargetSE: 'SE-DISK', Files: [{ LFN: '/vo/a' }] },
        { Type: 'RegisterFile', TargetSE: 'SE-DISK', Catalog: 'FileCatalog', Files: [{ LFN: '/vo/x' }] },
        { Type: 'RegisterFile', TargetSE: 'SE-DISK', Catalog: 'FileCatalog', Files: [{ LFN: '/vo/x' }] },
      ],
    }).Operations as { Type: string; SourceSE?: string }[];
    expect(ops.map((op) => [op.Type, op.SourceSE ?? null])).toEqual([
      ['ReplicateAndRegister', 'SE-DISK'],
      ['RemoveReplica', null],
      ['RegisterFile', null],
      ['RegisterFile', null],
    ]);
    expect([
      isFailoverSE('CERN-FAILOVER'),
      isFailoverSE('CERN-BUFFER', ['CERN-BUFFER']),
      isFailoverSE('CERN-FAILOVER', ['CERN-BUFFER']),
    ]).toEqual([true, true, false]);
  });
});

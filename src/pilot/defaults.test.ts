import { describe, expect, it } from 'vitest';
import { contextDefaults } from './defaults.js';
import { resolveParams } from './params.js';

describe('contextDefaults: the defaults that depend on the node or on other options', () => {
  it("a single-job CE keeps DIRAC's JobAgent defaults", async () => {
    const p = contextDefaults(await resolveParams({ ceType: 'InProcess', pollingTime: 45 }), { allocatedCpus: 16 });
    expect(p).toMatchObject({ maxCycles: 10, stopOnApplicationFailure: true, stopAfterFailedMatches: 10, pollingTime: 45, processors: 16 });
  });

  it("a Pool CE gets LaunchAgent's: 5000 cycles, no stop on failure, max(processors, 10) failed matches, polling at most 20 s", async () => {
    const p = contextDefaults(await resolveParams({ ceType: 'Pool/Singularity', pollingTime: 45 }), { allocatedCpus: 16 });
    expect(p).toMatchObject({ maxCycles: 5000, stopOnApplicationFailure: false, stopAfterFailedMatches: 16, pollingTime: 20 });
    expect(contextDefaults(await resolveParams({}), { allocatedCpus: 4 }).stopAfterFailedMatches).toBe(10);
    // -P wins over the allocation, and counts for the failed matches.
    expect(contextDefaults(await resolveParams({ processors: 32 }), { allocatedCpus: 4 })).toMatchObject({
      processors: 32,
      stopAfterFailedMatches: 32,
    });
  });

  it('keeps every value a source gave', async () => {
    const given = {
      maxCycles: 3,
      stopOnApplicationFailure: true,
      stopAfterFailedMatches: 2,
      edgeMemoryMB: 500,
      edgeTimeLimit: 7,
      edgeStaleSeconds: 9,
    };
    expect(contextDefaults(await resolveParams(given), { allocatedCpus: 64, partitionMaxMinutes: 120 })).toMatchObject(given);
  });

  it('edge mode: memory per core, the partition MaxTime else 60 minutes, 10 heartbeats stale, and the single-job failed matches', async () => {
    const p = await resolveParams({ edge: true, edgeCpus: 4, heartbeatSeconds: 2 });
    expect(contextDefaults(p, { allocatedCpus: 64, partitionMaxMinutes: 90 })).toMatchObject({
      edgeMemoryMB: 8000,
      edgeTimeLimit: 90,
      edgeStaleSeconds: 30,
      stopAfterFailedMatches: 10,
    });
    expect(contextDefaults({ ...p, heartbeatSeconds: 60 }, { allocatedCpus: 64 })).toMatchObject({
      edgeTimeLimit: 60,
      edgeStaleSeconds: 600,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { resolveParams } from '../pilot/params.js';
import type { ProbeResult } from '../probes/types.js';
import { PilotError } from '../core/errors.js';
import { secretFilesOf } from '../payload/runner/secret-files.js';
import {
  CPU_TIME_FACTOR,
  chooseRunner,
  diracPayloadConfig,
  jobAgentRules,
  jobLimits,
  lifetimeDeadline,
  localJobLimits,
  resourceParams,
  slotCapacity,
  slotProcessors,
  voOf,
} from './wiring.js';

/** The parts of a probe the wiring reads: an 8-CPU, 16 GB slot with two GPUs, apptainer and CVMFS. */
function probe(
  overrides: { container?: Partial<ProbeResult['container']>; cvmfs?: boolean; pilotReference?: string | null } = {},
): ProbeResult {
  return {
    cpu: { allocatedCpus: 8 },
    memory: { allocatedMB: 16_000 },
    gpus: [{ uuid: 'GPU-a' }, { uuid: null }],
    container: {
      runtime: 'apptainer',
      path: '/usr/bin/apptainer',
      version: '1.3',
      userNamespaces: true,
      insideContainer: false,
      ...overrides.container,
    },
    cvmfs: { available: overrides.cvmfs ?? true, repositories: [] },
    batch: { pilotReference: overrides.pilotReference ?? null },
  } as unknown as ProbeResult;
}

const startedAt = new Date('2026-01-01T00:00:00Z');
const facts = async (raw: Record<string, unknown> = {}, more: { power?: number; probe?: ProbeResult } = {}) => ({
  params: await resolveParams(raw),
  startedAt,
  pilotStamp: 'stamp-1',
  probe: more.probe ?? probe(),
  ...(more.power !== undefined ? { cpuPower: { power: more.power, source: 'config' } } : {}),
});

describe('values every part reads the same way', () => {
  it('voOf: --wnVO, else unknown', async () => {
    expect(voOf({ params: await resolveParams({}) })).toBe('unknown');
    expect(voOf({ params: await resolveParams({ vo: 'lhcb' }) })).toBe('lhcb');
    expect(voOf({ params: await resolveParams({}), backend: { tokenVo: () => 'from-token' } })).toBe('from-token');
    expect(voOf({ params: await resolveParams({ vo: 'lhcb' }), backend: { tokenVo: () => 'from-token' } })).toBe('lhcb');
    expect(voOf({ params: await resolveParams({}), backend: { tokenVo: () => null } })).toBe('unknown');
    expect(voOf({ params: await resolveParams({}), backend: {} })).toBe('unknown');
  });

  it('slotProcessors: -P, else the allocation, else 1', async () => {
    expect(slotProcessors(await facts())).toBe(8);
    expect(slotProcessors(await facts({ processors: 3 }))).toBe(3);
    expect(slotProcessors({ params: await resolveParams({}) })).toBe(1);
  });

  it('lifetimeDeadline: start + --lifetime, or none', async () => {
    expect(lifetimeDeadline(await facts())).toBeNull();
    expect(lifetimeDeadline(await facts({ lifetimeSeconds: 60 }))).toBe(startedAt.getTime() + 60_000);
  });

  it('slotCapacity: pins jobs only when the affinity covers every processor', async () => {
    const params = await resolveParams({ processors: 4 });
    expect(slotCapacity(probe(), params, [0, 1, 2, 3, 4, 5])).toEqual({
      processors: 4,
      cpuIds: [0, 1, 2, 3],
      memoryMB: 16_000,
      gpus: ['GPU-a', '1'],
    });
    expect(slotCapacity(probe(), params, [0, 1]).cpuIds).toEqual([]);
    expect(slotCapacity(probe(), params, null).cpuIds).toEqual([]);
  });

  it('diracPayloadConfig: only what is configured', async () => {
    expect(diracPayloadConfig(await resolveParams({}))).toEqual({});
    expect(diracPayloadConfig(await resolveParams({ diracImage: '/img' }))).toEqual({ image: '/img' });
  });
});

describe('jobAgentRules', () => {
  it('applies the Pool CE defaults (the default CE type)', async () => {
    const rules = jobAgentRules(await facts({ pollingTime: 60 }));
    expect(rules).toMatchObject({ maxCycles: 5000, pollingTimeSeconds: 20, stopOnApplicationFailure: false, stopAfterFailedMatches: 10 });
    // Pool: at least one failed match per processor before giving up.
    expect(jobAgentRules(await facts({ processors: 16 })).stopAfterFailedMatches).toBe(16);
  });

  it('applies DIRAC single-job defaults on other CE types, and explicit options over both', async () => {
    expect(jobAgentRules(await facts({ ceType: 'InProcess', pollingTime: 60 }))).toMatchObject({
      maxCycles: 10,
      pollingTimeSeconds: 60,
      stopOnApplicationFailure: true,
      stopAfterFailedMatches: 10,
    });
    const explicit = jobAgentRules(
      await facts({ maxCycles: 3, stopAfterFailedMatches: 2, stopOnApplicationFailure: true, lifetimeSeconds: 10 }),
    );
    expect(explicit).toMatchObject({
      maxCycles: 3,
      stopAfterFailedMatches: 2,
      stopOnApplicationFailure: true,
      deadline: startedAt.getTime() + 10_000,
    });
  });
});

describe('chooseRunner', () => {
  it('uses apptainer when found, with /cvmfs and the configured binds', async () => {
    const runner = chooseRunner(await facts({ containerBinds: ['/data'] }));
    expect(runner).toMatchObject({ kind: 'apptainer', binary: '/usr/bin/apptainer', binds: ['/cvmfs', '/data'], userns: true });
  });

  it('falls back to the direct runner, saying why', async () => {
    expect(chooseRunner(await facts({ runner: 'direct' }))).toEqual({
      kind: 'direct',
      reason: 'configured (--runner direct)',
      secretFiles: { files: [] },
    });
    const none = probe({ container: { runtime: null, path: null } });
    expect(chooseRunner(await facts({}, { probe: none }))).toEqual({
      kind: 'direct',
      reason: 'no container runtime on this node',
      secretFiles: { files: [] },
    });
    const nested = probe({ container: { insideContainer: true, userNamespaces: false } });
    expect(chooseRunner(await facts({}, { probe: nested }))).toMatchObject({
      kind: 'direct',
      reason: expect.stringMatching(/nesting impossible/),
    });
  });

  it('refuses --runner apptainer with no runtime', async () => {
    const none = probe({ container: { runtime: null, path: null } });
    const f = await facts({ runner: 'apptainer' }, { probe: none });
    expect(() => chooseRunner(f)).toThrow(PilotError);
  });

  it('carries the secret files it was given: two choices do not see each other’s', async () => {
    const a = chooseRunner({ ...(await facts()), secretFiles: secretFilesOf(['/pilot-a/creds.json'], {}) });
    const b = chooseRunner({
      ...(await facts({ runner: 'direct' })),
      secretFiles: secretFilesOf(['/pilot-b/proxy'], { PILOT_NO_SECRET_HIDING: '1' }),
    });
    expect(a.secretFiles).toEqual({ files: ['/pilot-a/creds.json'] });
    expect(b.secretFiles).toEqual({ files: ['/pilot-b/proxy'], disabled: 'PILOT_NO_SECRET_HIDING is set' });
    // Choosing b changed nothing of a (the files were a module-level registration once).
    expect(chooseRunner({ ...(await facts()), secretFiles: secretFilesOf(['/pilot-a/creds.json'], {}) })).toEqual(a);
  });
});

describe('jobLimits', () => {
  it('converts the JDL CPU work with the power and allows DIRAC 1.2x', async () => {
    const params = await resolveParams({});
    expect(CPU_TIME_FACTOR).toBe(1.2);
    const limits = jobLimits(params, 10, { maxWallSeconds: 3600, cpuWork: 1000, memoryMB: 2000 });
    expect(limits.wallClockSeconds).toBe(3600);
    expect(limits.cpuSeconds).toBeCloseTo(120);
    expect(limits.memoryMB).toBe(2000);
  });

  it('sets no CPU limit when the power is unknown, and none asked for', async () => {
    const params = await resolveParams({});
    expect(jobLimits(params, 0, { maxWallSeconds: null, cpuWork: 1000, memoryMB: null })).not.toHaveProperty('cpuSeconds');
    const none = jobLimits(params, 10, { maxWallSeconds: null, cpuWork: null, memoryMB: null });
    expect(none).not.toHaveProperty('cpuSeconds');
    expect(none).not.toHaveProperty('wallClockSeconds');
    expect(none).not.toHaveProperty('memoryMB');
  });

  it('carries the watchdog options in the watchdog units', async () => {
    const params = await resolveParams({ killGraceSeconds: 2.5, stalledSeconds: 100, loopingSeconds: 50, maxStdoutMB: 1 });
    expect(jobLimits(params, 1, { maxWallSeconds: null, cpuWork: null, memoryMB: null })).toEqual({
      maxStdoutBytes: 1048576,
      stalled: { windowSeconds: 100, minCpuRatio: 0.05 },
      loopingSeconds: 50,
      killGraceMs: 2500,
      sampleIntervalMs: 10_000,
    });
  });

  it('localJobLimits adds the pilot power and the slot time left', async () => {
    const f = { ...(await facts({}, { power: 20 })), timeLeft: { cpuWorkLeft: 1, wallSecondsLeft: 300, source: 'test' } };
    const limits = localJobLimits(f, { maxWallSeconds: null, cpuWork: 2000, memoryMB: null });
    expect(limits.cpuSeconds).toBeCloseTo(120);
    expect(limits.timeLeftSeconds?.()).toBe(300);
    expect(localJobLimits(await facts(), { maxWallSeconds: null, cpuWork: 2000, memoryMB: null }).timeLeftSeconds?.()).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});

describe('resourceParams', () => {
  it('describes the slot from the options, the time left and the power', async () => {
    const f = {
      ...(await facts({ site: 'LCG.X.x', vo: 'lhcb', tags: ['WholeNode'], processors: 4 }, { power: 12.5 })),
      timeLeft: { cpuWorkLeft: 5000.7, wallSecondsLeft: 3600.9, source: 'test' },
    };
    expect(resourceParams(f, { maxRAM: 1000 })).toMatchObject({
      site: 'LCG.X.x',
      vo: 'lhcb',
      cpuTime: 5000,
      cpuWork: 5000,
      wallTimeSeconds: 3600,
      pilotBenchmark: 12.5,
      pilotReference: 'stamp-1',
      wholeNode: true,
      overrides: { processors: 4, maxRAM: 1000 },
    });
    expect(resourceParams(f, {}, 42).cpuWork).toBe(42);
  });

  it('leaves the pilot reference to the batch system when it has one', async () => {
    const f = await facts({}, { probe: probe({ pilotReference: 'slurm://1' }) });
    expect(resourceParams(f)).not.toHaveProperty('pilotReference');
    expect(resourceParams(f).vo).toBe('unknown');
  });
});

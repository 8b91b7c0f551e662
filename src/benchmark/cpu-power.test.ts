import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixturePath } from '../probes/batch/timeleft/test-fixtures.js';
import { silentLogger } from '../core/logger.js';
import { resolveCpuPower } from './cpu-power.js';

const logger = silentLogger();
const readText = async (location: string): Promise<string> => readFileSync(location, 'utf8');

describe('resolveCpuPower', () => {
  it('mjf: hs06_job per allocated processor first', async () => {
    const env = { JOBFEATURES: fixturePath('mjf/job'), MACHINEFEATURES: fixturePath('mjf/machine') };
    await expect(resolveCpuPower({ source: 'mjf', env, logger, readText })).resolves.toEqual({
      power: 13,
      source: 'mjf',
      detail: '$JOBFEATURES/hs06_job / allocated_cpu',
    });
  });
  it('mjf: then the machine hs06 per total_cpu, or per the legacy core counts', async () => {
    await expect(
      resolveCpuPower({ source: 'mjf', env: { MACHINEFEATURES: fixturePath('mjf/machine') }, logger, readText }),
    ).resolves.toMatchObject({ power: 13 });
    // 400 HS06 / min(max(40, 20), 32)
    await expect(
      resolveCpuPower({ source: 'mjf', env: { MACHINEFEATURES: fixturePath('mjf/machine-legacy') }, logger, readText }),
    ).resolves.toMatchObject({ power: 12.5 });
  });
  it('mjf: fails clearly without features', async () => {
    await expect(resolveCpuPower({ source: 'mjf', env: {}, logger, readText })).rejects.toThrow(
      /neither \$JOBFEATURES nor \$MACHINEFEATURES/,
    );
    await expect(
      resolveCpuPower({ source: 'mjf', env: { JOBFEATURES: fixturePath('mjf/job-malformed') }, logger, readText }),
    ).rejects.toThrow(/no usable hs06_job or hs06/);
  });
  it('config: takes a positive number, refuses anything else', async () => {
    await expect(resolveCpuPower({ source: 'config', value: 17.3, logger })).resolves.toMatchObject({ power: 17.3, source: 'config' });
    await expect(resolveCpuPower({ source: 'config', value: -1, logger })).rejects.toThrow(/positive number, got -1/);
  });
});

describe("resolveCpuPower 'auto': the site's figures first, then the node cache, then a measurement", () => {
  const me = process.geteuid?.() ?? 0;
  const cpu = { arch: 'x86_64', vendor: 'AuthenticAMD', family: 25, model: 1, modelName: 'AMD EPYC' };
  // Chunks of about 10 ms: at 1 ms (20 k draws) a full CI run on 2 busy cores once spoiled 2 of 4
  // chunks and the copy was refused, which is db12-stats' job, not what these tests pin.
  const shape = { warmupDraws: 200_000, chunkDraws: 200_000, chunks: 8, minChunks: 8, budgetSeconds: 60 };
  let dir: string;
  let cacheFile: string;
  let machineAd: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cpu-power-'));
    chmodSync(dir, 0o755);
    cacheFile = path.join(dir, 'cpu-power.json');
    writeFileSync(
      cacheFile,
      JSON.stringify({
        version: 1,
        power: 30,
        method: 'db12, 400 chunks',
        standardError: 0.005,
        measuredAt: new Date().toISOString(),
        cpu,
        logicalCpus: 2,
      }),
    );
    chmodSync(cacheFile, 0o644);
    machineAd = path.join(dir, '.machine.ad');
    writeFileSync(machineAd, 'Machine = "wn1"\nCpus = 8\nCPUNormalizationFactor = 14.5\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const base = () => ({
    source: 'auto' as const,
    copies: 1,
    logger,
    readText,
    cpu,
    logicalCpus: 2,
    shape,
    cache: { file: cacheFile, trustedUids: [me] },
  });
  const mjf = { JOBFEATURES: fixturePath('mjf/job'), MACHINEFEATURES: fixturePath('mjf/machine') };

  it('a site figure (-o /LocalSite/CPUNormalizationFactor) wins over MJF, the machine ad and the cache', async () => {
    const result = await resolveCpuPower({
      ...base(),
      env: { ...mjf, _CONDOR_MACHINE_AD: machineAd },
      sitePower: { value: 12.5, origin: '-o /LocalSite/CPUNormalizationFactor' },
    });
    expect(result).toEqual({ power: 12.5, source: 'site', detail: '-o /LocalSite/CPUNormalizationFactor' });
  });

  it('a site figure outside the sanity bounds is a configuration error, not silently replaced', async () => {
    await expect(
      resolveCpuPower({ ...base(), env: {}, sitePower: { value: 2250, origin: '-o /LocalSite/CPUNormalizationFactor' } }),
    ).rejects.toMatchObject({
      exitCode: 3,
      message: 'site CPU power (-o /LocalSite/CPUNormalizationFactor) 2250 is outside the sane range 1..250 per processor',
    });
  });

  it('then MJF, then the machine ad, each skipped with its reason when absent or unusable', async () => {
    const fromMjf = await resolveCpuPower({ ...base(), env: { ...mjf, _CONDOR_MACHINE_AD: machineAd } });
    expect(fromMjf).toMatchObject({
      power: 13,
      source: 'mjf',
      skipped: ['site: no figure published (-o /LocalSite/CPUNormalizationFactor)'],
    });
    const fromAd = await resolveCpuPower({
      ...base(),
      env: { JOBFEATURES: fixturePath('mjf/job-malformed'), _CONDOR_MACHINE_AD: machineAd },
    });
    expect(fromAd).toMatchObject({ power: 14.5, source: 'htcondor', detail: '$_CONDOR_MACHINE_AD CPUNormalizationFactor' });
    expect(fromAd.skipped?.[1]).toMatch(/^mjf: MJF CPU power: no usable hs06_job or hs06/);
  });

  it('then the node cache (divided by the correction), when the machine ad does not publish the figure', async () => {
    writeFileSync(machineAd, 'Machine = "wn1"\nCpus = 8\n');
    const result = await resolveCpuPower({ ...base(), env: { _CONDOR_MACHINE_AD: machineAd }, correction: 1.5 });
    expect(result).toMatchObject({ power: 20, source: 'cache', spread: { standardError: 0.005 } });
    expect(result.detail).toMatch(/cpu-power\.json: db12, 400 chunks, measured .*, \/ correction 1\.5$/);
    expect(result.skipped).toEqual([
      'site: no figure published (-o /LocalSite/CPUNormalizationFactor)',
      'mjf: neither $JOBFEATURES nor $MACHINEFEATURES is set',
      `htcondor: no numeric CPUNormalizationFactor in the machine ad ${machineAd}`,
    ]);
  });

  it('measures when the cache is refused (here: writable by others, so a job could have poisoned it)', async () => {
    chmodSync(cacheFile, 0o666);
    const result = await resolveCpuPower({ ...base(), env: {} });
    expect(result.source).toBe('db12');
    expect(result.measurement?.calibration.id).toBe('amd-family-25');
    expect(result.spread?.standardError).toBeGreaterThanOrEqual(0);
    expect(result.skipped?.at(-1)).toMatch(/^cache: CPU power cache .*cpu-power\.json: is writable by group or others \(mode 666\)$/);
  });
});

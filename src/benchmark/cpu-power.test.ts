import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../probes/batch/timeleft/test-fixtures.js';
import { silentLogger } from '../core/logger.js';
import { resolveCpuPower } from './cpu-power.js';

const logger = silentLogger();
const readText = async (location: string): Promise<string> => readFileSync(location, 'utf8');

describe('resolveCpuPower', () => {
  it('mjf: hs06_job per allocated processor first', async () => {
    const env = { JOBFEATURES: fixturePath('mjf/job'), MACHINEFEATURES: fixturePath('mjf/machine') };
    await expect(resolveCpuPower({ source: 'mjf', env, logger, readText })).resolves.toEqual({
      power: 13, source: 'mjf', detail: '$JOBFEATURES/hs06_job / allocated_cpu',
    });
  });
  it('mjf: then the machine hs06 per total_cpu, or per the legacy core counts', async () => {
    await expect(resolveCpuPower({ source: 'mjf', env: { MACHINEFEATURES: fixturePath('mjf/machine') }, logger, readText })).resolves.toMatchObject({ power: 13 });
    // 400 HS06 / min(max(40, 20), 32)
    await expect(resolveCpuPower({ source: 'mjf', env: { MACHINEFEATURES: fixturePath('mjf/machine-legacy') }, logger, readText })).resolves.toMatchObject({ power: 12.5 });
  });
  it('mjf: fails clearly without features', async () => {
    await expect(resolveCpuPower({ source: 'mjf', env: {}, logger, readText })).rejects.toThrow(/neither \$JOBFEATURES nor \$MACHINEFEATURES/);
    await expect(resolveCpuPower({ source: 'mjf', env: { JOBFEATURES: fixturePath('mjf/job-malformed') }, logger, readText })).rejects.toThrow(/no usable hs06_job or hs06/);
  });
  it('config: takes a positive number, refuses anything else', async () => {
    await expect(resolveCpuPower({ source: 'config', value: 17.3, logger })).resolves.toMatchObject({ power: 17.3, source: 'config' });
    await expect(resolveCpuPower({ source: 'config', value: -1, logger })).rejects.toThrow(/positive number, got -1/);
  });
});

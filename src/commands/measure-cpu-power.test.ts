import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { readCpuIdentity } from '../benchmark/db12.js';
import type { PilotContext } from '../pilot/context.js';
import { resolveParams, type RawParams } from '../pilot/params.js';
import { measureCpuPower } from './measure-cpu-power.js';

// The pipeline step: which source it takes by default, and what the pilot's log says about it.
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'measure-cpu-power-'));
  chmodSync(dir, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function step(raw: RawParams, env: Record<string, string> = {}): Promise<{ ctx: PilotContext; log: Record<string, unknown>[] }> {
  const logFile = path.join(dir, 'pilot.log');
  const ctx: PilotContext = {
    params: await resolveParams(raw),
    logger: createLogger({ file: logFile, quiet: true }),
    env,
    workDir: dir,
    pilotStamp: 's',
    startedAt: new Date(),
    shutdown: new AbortController().signal,
    native: null,
  };
  await measureCpuPower.run(ctx);
  return {
    ctx,
    log: readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line)),
  };
}

describe('measure-cpu-power', () => {
  it("defaults to 'auto': a site figure is taken as it is, and the log names its source", async () => {
    const { ctx, log } = await step({ cpuPower: 12.5 });
    expect(ctx.params.cpuPowerSource).toBe('auto');
    expect(ctx.cpuPower).toEqual({ power: 12.5, source: 'site' });
    expect(log.at(-1)).toMatchObject({ msg: 'CPU power 12.5 from site', power: 12.5, source: 'site', detail: '--cpu-power' });
  });

  it('reads a trusted node cache, and logs the figure with its spread and the sources it passed over', async () => {
    const file = path.join(dir, 'cpu-power.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        power: 21.4,
        method: 'db12, 400 chunks',
        standardError: 0.004,
        measuredAt: new Date().toISOString(),
        cpu: readCpuIdentity(),
        logicalCpus: cpus().length,
      }),
    );
    chmodSync(file, 0o644);
    if ((process.geteuid?.() ?? 0) !== 0) {
      console.log('skipped the cache half: the cache is trusted only when root owns it, and this test does not run as root');
      return;
    }
    const { ctx, log } = await step({ cpuPowerCache: file, cpuNormalizationCorrection: 2 });
    expect(ctx.cpuPower).toEqual({ power: 10.7, source: 'cache' });
    const line = log.at(-1) as { msg: string; spread: unknown; skipped: string[] };
    expect(line.msg).toBe('CPU power 10.7 from cache (standard error 0.4%)');
    expect(line.spread).toEqual({ low: -0.004, high: 0.004, standardError: 0.004 });
    expect(line.skipped).toHaveLength(3);
  });
});

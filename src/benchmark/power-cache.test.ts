import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CpuIdentity } from './db12-calibration.js';
import { cacheEntryFrom, readPowerCache, writePowerCache, type PowerCacheEntry } from './power-cache.js';

// Real files and real modes: the rules are about who can write the figure later pilots trust.
const me = process.geteuid?.() ?? 0;
const cpu: CpuIdentity = { arch: 'x86_64', vendor: 'AuthenticAMD', family: 25, model: 1, modelName: 'AMD EPYC' };
const now = new Date('2026-12-07T02:00:00Z');
const entry: PowerCacheEntry = {
  version: 1,
  power: 21.4,
  method: 'db12 (JavaScript, calibration amd-family-25), 400 chunks',
  standardError: 0.004,
  measuredAt: '2026-12-06T02:00:00Z',
  cpu,
  logicalCpus: 2,
};
const options = { cpu, logicalCpus: 2, now, trustedUids: [me] };

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'power-cache-'));
  chmodSync(dir, 0o755);
  file = path.join(dir, 'cpu-power.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const put = (value: unknown, mode = 0o644): void => {
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  chmodSync(file, mode);
};
const refusal = (result: ReturnType<typeof readPowerCache>): string => ('refused' in result ? result.refused : 'accepted');

describe('writePowerCache and readPowerCache', () => {
  it('round-trips: written 0644 by the directory owner, read back as it was', () => {
    writePowerCache(file, entry, me);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readPowerCache(file, options)).toEqual({ entry });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(entry);
  });

  it("refuses to write into a directory that others can write (pilots would refuse the file), or that is not the writer's", () => {
    chmodSync(dir, 0o777);
    expect(() => writePowerCache(file, entry, me)).toThrow(/writable by group or others; pilots would refuse the file/);
    chmodSync(dir, 0o755);
    expect(() => writePowerCache(file, entry, me + 1)).toThrow(/belongs to uid \d+, not to the writer/);
    expect(() => writePowerCache(file, { ...entry, power: 2250 }, me)).toThrow(/outside the sane range/);
  });
});

describe('readPowerCache: who may have written it', () => {
  it('refuses a file that group or others can write (a job could poison it)', () => {
    put(entry, 0o666);
    expect(refusal(readPowerCache(file, options))).toMatch(/cpu-power\.json: is writable by group or others \(mode 666\)/);
    put(entry, 0o664);
    expect(refusal(readPowerCache(file, options))).toMatch(/mode 664/);
  });

  it('refuses a file in a directory that group or others can write (the file could be replaced)', () => {
    put(entry);
    chmodSync(dir, 0o1777);
    expect(refusal(readPowerCache(file, options))).toMatch(/its directory .* is writable by group or others \(mode 777\)/);
  });

  it('refuses a file owned by an untrusted uid', () => {
    put(entry);
    if (me === 0) {
      chownSync(file, 65534, 65534);
      expect(refusal(readPowerCache(file, { ...options, trustedUids: [] }))).toMatch(
        /is owned by uid 65534, not by root or a trusted uid \(0\)/,
      );
    } else {
      expect(refusal(readPowerCache(file, { ...options, trustedUids: [] }))).toMatch(new RegExp(`is owned by uid ${me}, not by root`));
    }
  });

  it('refuses a symbolic link, even to a good file, and anything that is not a regular file', () => {
    const real = path.join(dir, 'real.json');
    writeFileSync(real, JSON.stringify(entry));
    chmodSync(real, 0o644);
    symlinkSync(real, file);
    expect(refusal(readPowerCache(file, options))).toMatch(/is a symbolic link/);
    rmSync(file);
    mkdirSync(file, { mode: 0o755 });
    expect(refusal(readPowerCache(file, options))).toMatch(/is not a regular file/);
  });

  it('says when there is no cache', () => {
    expect(refusal(readPowerCache(file, options))).toMatch(/cpu-power\.json: not there/);
  });
});

describe('readPowerCache: what it says', () => {
  it('refuses garbage, a wrong schema, an oversized file and an insane power', () => {
    put('{ not json');
    expect(refusal(readPowerCache(file, options))).toMatch(/is not JSON/);
    put({ ...entry, power: 'fast' });
    expect(refusal(readPowerCache(file, options))).toMatch(/does not match its schema \(power: /);
    put({ ...entry, version: 2 });
    expect(refusal(readPowerCache(file, options))).toMatch(/schema \(version/);
    put({ ...entry, method: 'x'.repeat(70_000) });
    expect(refusal(readPowerCache(file, options))).toMatch(/larger than 65536 bytes/);
    put({ ...entry, power: 2250 });
    expect(refusal(readPowerCache(file, options))).toMatch(/cached power 2250 is outside the sane range/);
  });

  it('refuses an entry too old, or from the future', () => {
    put({ ...entry, measuredAt: '2026-11-29T01:00:00Z' });
    expect(refusal(readPowerCache(file, options))).toMatch(/is 193 h old, more than the 168 h allowed/);
    expect(readPowerCache(file, { ...options, maxAgeSeconds: 10 * 24 * 3600 })).toHaveProperty('entry');
    put({ ...entry, measuredAt: '2026-12-07T03:00:00Z' });
    expect(refusal(readPowerCache(file, options))).toMatch(/measured in the future/);
    put({ ...entry, measuredAt: '2026-12-07T02:04:00Z' }); // within the clock-skew tolerance
    expect(readPowerCache(file, options)).toHaveProperty('entry');
  });

  it('refuses an entry measured on another CPU or with another CPU count (a VM moved to another host)', () => {
    put(entry);
    expect(refusal(readPowerCache(file, { ...options, cpu: { ...cpu, model: 17 } }))).toMatch(
      /measured on another CPU \(model 1 there, 17 here\)/,
    );
    expect(refusal(readPowerCache(file, { ...options, cpu: { ...cpu, modelName: 'AMD EPYC 9654' } }))).toMatch(
      /modelName "AMD EPYC" there, "AMD EPYC 9654" here/,
    );
    expect(refusal(readPowerCache(file, { ...options, logicalCpus: 4 }))).toMatch(/measured with 2 logical CPUs, this node has 4/);
  });
});

describe('cacheEntryFrom', () => {
  it('stores the uncorrected minimum over copies, how it was measured, and this CPU', () => {
    const measurement = {
      power: 10.7,
      raw: [21.43, 22.02],
      source: 'db12' as const,
      engine: 'javascript' as const,
      uncalibratedNorm: [238.9, 245.5],
      calibration: { id: 'amd-family-25', k: 0.0897, relativeUncertainty: 0.09, measured: true, measuredOn: 'here' },
      correction: 2,
      copies: 2,
      shape: { warmupDraws: 1, chunkDraws: 1, chunks: 400, minChunks: 40, budgetSeconds: 15 },
      spread: { low: -0.05, high: 0.04, standardError: 0.003, chunks: 400, kept: 398 },
      dropped: [[], []],
      cpuSeconds: [9.9, 9.8],
      wallSeconds: 10.2,
      clock: 'threadCpuUsage' as const,
      cpu,
    };
    const written = cacheEntryFrom(measurement, 2, now);
    expect(written).toEqual({
      version: 1,
      power: 21.4,
      method: 'db12 (JavaScript, calibration amd-family-25, k 0.0897), 2 copies, 398 of 400 chunks',
      standardError: 0.003,
      measuredAt: '2026-12-07T02:00:00.000Z',
      cpu,
      logicalCpus: 2,
    });
    writePowerCache(file, written, me);
    expect(readPowerCache(file, options)).toEqual({ entry: written });
  });
});

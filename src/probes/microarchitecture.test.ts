import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { featureList, parseCpuinfo, processorBlocks } from './cpuinfo.js';
import { aarch64FeaturesFromHwcap } from './hwcap.js';
import { detectMicroarchitecture, x86PsabiLevel } from './microarchitecture.js';
import { nodeCapture, ownCapture } from './test-fixtures.js';

function flagsOf(file: string): Set<string> {
  return new Set(featureList(processorBlocks(parseCpuinfo(readFileSync(file, 'utf8')))[0]));
}

describe('x86-64 psABI level', () => {
  it('is 4 on the AVX-512 captures', () => {
    expect(x86PsabiLevel('x86_64', flagsOf(path.join(nodeCapture('h100-x86_64'), 'proc_cpuinfo')))).toBe(4);
    expect(x86PsabiLevel('x86_64', flagsOf(path.join(nodeCapture('epyc-x86_64-2core'), 'proc_cpuinfo')))).toBe(4);
  });
  it('drops a level when one required flag is missing', () => {
    const flags = flagsOf(path.join(nodeCapture('h100-x86_64'), 'proc_cpuinfo'));
    flags.delete('avx512vl');
    expect(x86PsabiLevel('x86_64', flags)).toBe(3);
    flags.delete('movbe');
    expect(x86PsabiLevel('x86_64', flags)).toBe(2);
    flags.delete('popcnt');
    expect(x86PsabiLevel('x86_64', flags)).toBe(1);
  });
  it('matches whole flags, not prefixes (pilot3 cpu_arch.py matched "sse" inside "sse4_1")', () => {
    expect(x86PsabiLevel('x86_64', new Set(['sse4_1', 'sse4_2', 'ssse3', 'cx16', 'lahf_lm', 'popcnt', 'mmx']))).toBe(1);
  });
  it('is null off x86_64', () => {
    expect(x86PsabiLevel('aarch64', new Set(['asimd']))).toBeNull();
  });
});

describe('archspec naming', () => {
  it('names the captured Intel and AMD hosts as archspec would from their flags', () => {
    const intel = detectMicroarchitecture({
      family: 'x86_64',
      vendor: 'GenuineIntel',
      features: flagsOf(path.join(nodeCapture('h100-x86_64'), 'proc_cpuinfo')),
    });
    const amd = detectMicroarchitecture({
      family: 'x86_64',
      vendor: 'AuthenticAMD',
      features: flagsOf(path.join(nodeCapture('epyc-x86_64-2core'), 'proc_cpuinfo')),
    });
    // The VMs hide a few flags (waitpkg; pku and flush_l1d on the EPYC), so archspec's rule
    // gives icelake (a descendant of x86_64_v4) and, for the AMD guest, x86_64_v4 itself:
    // zen2 would fit the flags but does not descend from the best generic level.
    expect(intel).toBe('icelake');
    expect(amd).toBe('x86_64_v4');
  });
  it('never gives a vendor-specific name to the other vendor', () => {
    const flags = flagsOf(path.join(nodeCapture('h100-x86_64'), 'proc_cpuinfo'));
    expect(detectMicroarchitecture({ family: 'x86_64', vendor: 'HygonGenuine', features: flags })).toBe('x86_64_v4');
  });
  it('falls back to the family name with no features', () => {
    expect(detectMicroarchitecture({ family: 'x86_64', vendor: 'GenuineIntel', features: new Set() })).toBe('x86_64');
    expect(detectMicroarchitecture({ family: 'riscv99', vendor: 'x', features: new Set() })).toBe('riscv99');
  });
  it('names a Neoverse V1 from cpuinfo Features and its CPU part', () => {
    const features = flagsOf(path.join(ownCapture('aarch64-neoverse-v1-htcondor'), 'proc', 'cpuinfo'));
    expect(detectMicroarchitecture({ family: 'aarch64', vendor: 'ARM', features, cpuPart: '0xd40' })).toBe('neoverse_v1');
    // Same features, part unknown: still the most specific ARM core they satisfy.
    expect(detectMicroarchitecture({ family: 'aarch64', vendor: 'ARM', features, cpuPart: null })).toMatch(/^neoverse_/);
    // An unknown vendor: nothing vendor-specific fits, and the generic ARM levels cannot be proven.
    expect(detectMicroarchitecture({ family: 'aarch64', vendor: 'Unknown', features, cpuPart: null })).toBe('aarch64');
  });
  it('reads AT_HWCAP bits like the kernel prints Features', () => {
    const hwcap = (1n << 0n) | (1n << 1n) | (1n << 8n) | (1n << 22n);
    const hwcap2 = (1n << 1n) | (1n << 14n);
    expect(aarch64FeaturesFromHwcap(hwcap, hwcap2)).toEqual(['fp', 'asimd', 'atomics', 'sve', 'sve2', 'bf16']);
  });
  it('uses the POWER generation on ppc64le', () => {
    expect(detectMicroarchitecture({ family: 'ppc64le', vendor: 'IBM', features: new Set(), generation: 9 })).toBe('power9le');
  });
});

describe('the embedded archspec subset', () => {
  it('is what scripts/archspec-subset.mjs makes of the full database (never stale)', async () => {
    const { spawnSync } = await import('node:child_process');
    const check = spawnSync(process.execPath, ['scripts/archspec-subset.mjs', '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calibrationFor, cpuIdentityFromCpuinfo, GENERIC_CALIBRATION, kernelArch } from './db12-calibration.js';

const fixture = (name: string): string => readFileSync(new URL(`../../tests/fixtures/nodes/${name}`, import.meta.url), 'utf8');

describe('cpuIdentityFromCpuinfo', () => {
  it('reads the captured nodes: the EPYC VM (zen4 there) and the H100 node (Emerald Rapids)', () => {
    expect(cpuIdentityFromCpuinfo(fixture('epyc-x86_64-2core/proc_cpuinfo'), 'x86_64')).toEqual({
      arch: 'x86_64',
      vendor: 'AuthenticAMD',
      family: 25,
      model: 17,
      modelName: 'AMD EPYC',
    });
    expect(cpuIdentityFromCpuinfo(fixture('h100-x86_64/proc_cpuinfo'), 'x86_64')).toEqual({
      arch: 'x86_64',
      vendor: 'GenuineIntel',
      family: 6,
      model: 207,
      modelName: 'Intel(R) Xeon(R) Processor',
    });
  });
  it('reads vendor, family and model on x86_64', () => {
    const text =
      'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC 7763 64-Core Processor\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\n';
    expect(cpuIdentityFromCpuinfo(text, 'x86_64')).toEqual({
      arch: 'x86_64',
      vendor: 'AuthenticAMD',
      family: 25,
      model: 1,
      modelName: 'AMD EPYC 7763 64-Core Processor',
    });
  });
  it('reads implementer and part on aarch64', () => {
    const text =
      'processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\n';
    expect(cpuIdentityFromCpuinfo(text, 'aarch64')).toEqual({ arch: 'aarch64', vendor: '0x41', family: null, model: 0xd0c, modelName: '' });
  });
  it('gives an unknown CPU for empty or garbled text', () => {
    expect(cpuIdentityFromCpuinfo('', 'x86_64')).toEqual({ arch: 'x86_64', vendor: '', family: null, model: null, modelName: '' });
    expect(cpuIdentityFromCpuinfo('cpu family : twenty\n', 'x86_64').family).toBeNull();
  });
  it('maps node arch names to the kernel ones', () => {
    expect(kernelArch('x64')).toBe('x86_64');
    expect(kernelArch('arm64')).toBe('aarch64');
  });
});

describe('calibrationFor', () => {
  it('picks the measured family, and the generic k (not measured, wider uncertainty) otherwise', () => {
    expect(calibrationFor({ arch: 'x86_64', vendor: 'AuthenticAMD', family: 25, model: 1, modelName: '' })).toMatchObject({
      id: 'amd-family-25',
      measured: true,
    });
    expect(calibrationFor({ arch: 'x86_64', vendor: 'GenuineIntel', family: 6, model: 85, modelName: '' })).toMatchObject({
      id: 'intel-family-6',
      measured: true,
    });
    const arm = calibrationFor({ arch: 'aarch64', vendor: '0x41', family: null, model: 0xd0c, modelName: '' });
    expect(arm).toEqual(GENERIC_CALIBRATION);
    expect(arm.measured).toBe(false);
    expect(calibrationFor({ arch: 'x86_64', vendor: 'AuthenticAMD', family: 23, model: 49, modelName: '' }).id).toBe('generic');
  });
  it('keeps every k within the range the measured families span', () => {
    const measured = [
      calibrationFor({ arch: 'x86_64', vendor: 'AuthenticAMD', family: 25, model: 1, modelName: '' }).k,
      calibrationFor({ arch: 'x86_64', vendor: 'GenuineIntel', family: 6, model: 85, modelName: '' }).k,
    ];
    expect(GENERIC_CALIBRATION.k).toBeGreaterThanOrEqual(Math.min(...measured));
    expect(GENERIC_CALIBRATION.k).toBeLessThanOrEqual(Math.max(...measured));
  });
});

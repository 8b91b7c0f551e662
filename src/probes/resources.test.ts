import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { probeNode } from './index.js';
import { nodeDocumentSchema } from './node-document.js';
import { buildDiracResources, buildNodeDocument, derivedTags, probeReport, type ResourceParams } from './resources.js';
import { matchmakingDir, nodeCapture, ownCapture } from './test-fixtures.js';

const params: ResourceParams = {
  site: 'LCG.CERN.cern',
  ce: 'ce01.cern.ch',
  queue: 'grid_long',
  vo: 'lhcb',
  tags: ['cvmfs:lhcb'],
  requiredTags: ['lhcb-gpu'],
  cpuTime: 123456.7,
  pilotBenchmark: 42.1,
  releaseVersion: '0.1.0',
  ownerGroup: 'lhcb_pilot',
  wallTimeSeconds: 86400,
};

describe('nodeDocumentSchema against the matchmaking examples', () => {
  const dir = matchmakingDir('nodes');
  const files = readdirSync(dir).filter((file) => file.endsWith('.yaml'));
  it('has both kinds of example to test against', () => {
    expect(files.filter((file) => file.startsWith('node_')).length).toBeGreaterThan(5);
    expect(files.filter((file) => file.startsWith('invalid_')).length).toBeGreaterThan(1);
  });
  for (const file of files) {
    const valid = !file.startsWith('invalid_');
    it(`${valid ? 'accepts' : 'rejects'} ${file}`, () => {
      const document = parse(readFileSync(path.join(dir, file), 'utf8')) as unknown;
      expect(nodeDocumentSchema.safeParse(document).success).toBe(valid);
    });
  }
});

describe('buildDiracResources', () => {
  it('describes the H100 slot with DIRAC’s keys and derived tags', async () => {
    const probe = await probeNode({
      root: nodeCapture('h100-x86_64'),
      env: { SLURM_JOB_ID: '77', SLURM_CPUS_ON_NODE: '4', SLURM_MEM_PER_NODE: '64000' },
      ceName: 'ce01.cern.ch',
    });
    const resources = buildDiracResources(probe, { ...params, wholeNode: false });
    expect(resources).toEqual({
      Site: 'LCG.CERN.cern',
      GridCE: 'ce01.cern.ch',
      CEQueue: 'grid_long',
      Platform: 'Linux_x86_64',
      Tag: ['cvmfs:lhcb', '2Processors', '3Processors', '4Processors', 'MultiProcessor', 'GPU'],
      RequiredTag: ['lhcb-gpu'],
      NumberOfProcessors: 4,
      MaxRAM: 64000,
      NumberOfGPUs: 1,
      CPUTime: 123456,
      PilotBenchmark: 42.1,
      PilotReference: 'sshslurm://ce01.cern.ch/77',
      ReleaseVersion: '0.1.0',
      VirtualOrganization: 'lhcb',
      OwnerGroup: 'lhcb_pilot',
    });
  });
  it('lets configuration override what was measured, and tags whole nodes', async () => {
    const probe = await probeNode({ root: nodeCapture('epyc-x86_64-2core') });
    const resources = buildDiracResources(probe, {
      ...params,
      tags: [],
      wholeNode: true,
      overrides: { maxRAM: 2000, processors: 1, platform: 'x86_64-el9.avx2+fma' },
    });
    expect(resources).toMatchObject({
      NumberOfProcessors: 1,
      MaxRAM: 2000,
      NumberOfGPUs: 0,
      Platform: 'x86_64-el9.avx2+fma',
      Tag: ['WholeNode'],
      PilotReference: '',
    });
  });
  it('derives <N>Processors for 2..N only', () => {
    expect(derivedTags(1, 0, false)).toEqual([]);
    expect(derivedTags(3, 2, true)).toEqual(['2Processors', '3Processors', 'MultiProcessor', 'WholeNode', 'GPU']);
  });
});

describe('buildNodeDocument', () => {
  it('gives a valid document for every capture', async () => {
    for (const root of [
      nodeCapture('h100-x86_64'),
      nodeCapture('epyc-x86_64-2core'),
      ownCapture('cgroup-v2-slurm'),
      ownCapture('aarch64-neoverse-v1-htcondor'),
      ownCapture('amd-mi250-sge'),
      ownCapture('bad-truncated-flat'),
    ]) {
      const document = buildNodeDocument(await probeNode({ root }), params);
      const checked = nodeDocumentSchema.safeParse(document);
      expect(checked.success ? 'valid' : `${root}: ${checked.error.message}`).toBe('valid');
    }
  });
  it('describes the H100 node as the matchmaking documents do', async () => {
    const probe = await probeNode({ root: nodeCapture('h100-x86_64'), env: { SLURM_JOB_ID: '77' }, ceName: 'ce01.cern.ch' });
    expect(buildNodeDocument(probe, params)).toEqual({
      version: '0.1.0',
      node_id: 'sshslurm://ce01.cern.ch/77',
      site: 'LCG.CERN.cern',
      system: { name: 'Linux', 'user-namespaces': true },
      'wall-time': 86400,
      'cpu-work': 123456.7,
      cpu: {
        'num-nodes': 1,
        'num-cores': 16,
        'ram-mb': 128887,
        architecture: { name: 'x86_64', 'microarchitecture-level': 4, microarchitecture: 'icelake' },
      },
      gpu: {
        count: 1,
        vendor: 'nvidia',
        model: 'NVIDIA H100 80GB HBM3',
        'ram-mb': 81559,
        'compute-capability': 9,
        'driver-version': '580.159.04',
      },
      tags: ['os:ubuntu24', 'gpu:nvidia', 'cvmfs:lhcb'],
    });
  });
  it('tags EL-family OSes like the examples (os:el9) and keeps glibc as a string', async () => {
    const document = buildNodeDocument(await probeNode({ root: ownCapture('cgroup-v2-slurm') }), { ...params, tags: [] });
    expect(document.tags).toEqual(['os:el9', 'os:alma9']);
    expect(document.system.glibc).toBe('2.34');
    const arm = buildNodeDocument(await probeNode({ root: ownCapture('aarch64-neoverse-v1-htcondor') }), params);
    expect(arm.cpu.architecture).toEqual({ name: 'aarch64', microarchitecture: 'neoverse_v1' });
  });
  it('probeReport carries both descriptions beside the probe', async () => {
    const report = probeReport(await probeNode({ root: nodeCapture('epyc-x86_64-2core') }), params);
    expect(report.diracResources.NumberOfProcessors).toBe(2);
    expect(report.nodeDocument.cpu['num-cores']).toBe(2);
    expect(report.cpu.model).toBe('AMD EPYC');
  });
});

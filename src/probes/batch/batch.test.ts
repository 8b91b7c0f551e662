import { describe, expect, it } from 'vitest';
import { openNodeSource } from '../source.js';
import { ownCapture } from '../test-fixtures.js';
import { Warnings } from '../warnings.js';
import { parseClassAd } from './classad.js';
import { detectSubmitter, pilotReferenceFor, readBatch } from './index.js';
import { parseLsfMcpuHosts } from './lsf.js';
import { expandSlurmCpusPerNode } from './slurm.js';
import type { Env } from './types.js';

async function batchOf(env: Env, root = '/nonexistent') {
  const warnings = new Warnings();
  const info = await readBatch({ env, source: await openNodeSource(root), warnings }, 'ce.example.org');
  return { info, warnings: warnings.list.map((warning) => warning.message) };
}

describe('Slurm', () => {
  it('expands SLURM_JOB_CPUS_PER_NODE', () => {
    expect(expandSlurmCpusPerNode('72(x2),36')).toEqual([72, 72, 36]);
    expect(expandSlurmCpusPerNode('4')).toEqual([4]);
    expect(expandSlurmCpusPerNode('72(x2')).toBeNull();
  });
  it('takes this node’s CPUs, memory per CPU times CPUs, and the GPUs', async () => {
    const { info } = await batchOf({
      SLURM_JOB_ID: '42',
      SLURM_JOB_CPUS_PER_NODE: '72(x2),36',
      SLURM_MEM_PER_CPU: '2000',
      SLURM_JOB_GPUS: '0,1',
    });
    expect(info).toMatchObject({
      system: 'slurm',
      jobId: '42',
      allocatedCpus: 72,
      allocatedMemoryMB: 144000,
      allocatedGpus: 2,
      gpuIds: ['0', '1'],
      nodes: 3,
      pilotReference: 'sshslurm://ce.example.org/42',
    });
  });
  it('prefers SLURM_CPUS_ON_NODE, SLURM_MEM_PER_NODE and SLURM_GPUS_ON_NODE', async () => {
    const { info } = await batchOf({
      SLURM_JOBID: '43',
      SLURM_CPUS_ON_NODE: '8',
      SLURM_JOB_CPUS_PER_NODE: '16',
      SLURM_MEM_PER_NODE: '32000',
      SLURM_GPUS_ON_NODE: '1',
      SLURM_JOB_GPUS: '3',
    });
    expect(info).toMatchObject({ allocatedCpus: 8, allocatedMemoryMB: 32000, allocatedGpus: 1 });
  });
});

describe('HTCondor', () => {
  it('parses ad files: quoted strings, numbers, booleans, expressions', () => {
    const ad = parseClassAd('Cpus = 8\nName = "slot1@wn"\nIsWholeNode = false\nRank = Mips / 2\nbad line\n');
    expect(Object.fromEntries(ad)).toEqual({ cpus: 8, name: 'slot1@wn', iswholenode: false, rank: 'Mips / 2' });
  });
  it('reads the job and machine ads named in the environment', async () => {
    const root = ownCapture('aarch64-neoverse-v1-htcondor');
    const { info } = await batchOf(
      { _CONDOR_JOB_AD: '/var/lib/condor/execute/dir_4242/.job.ad', _CONDOR_MACHINE_AD: '/var/lib/condor/execute/dir_4242/.machine.ad' },
      root,
    );
    expect(info).toMatchObject({
      system: 'htcondor',
      jobId: '4242.0',
      allocatedCpus: 2,
      allocatedMemoryMB: 4096,
      allocatedGpus: 0,
      pilotReference: 'htcondorce://ce.example.org/4242.0',
    });
  });
  it('warns when an ad file cannot be read', async () => {
    const { info, warnings } = await batchOf({ _CONDOR_JOB_AD: '/missing/.job.ad', _CONDOR_AssignedGPUs: 'CUDA0' });
    expect(info).toMatchObject({ system: 'htcondor', allocatedGpus: 1, gpuIds: ['CUDA0'] });
    expect(warnings).toEqual(['_CONDOR_JOB_AD points to /missing/.job.ad, which cannot be read']);
  });
});

describe('PBS, LSF, SGE, MJF', () => {
  it('PBS: PBS_NUM_PPN, else the first host’s lines in PBS_NODEFILE, else PBS_NP', async () => {
    expect((await batchOf({ PBS_JOBID: '7.server', PBS_NUM_PPN: '4', PBS_NP: '8' })).info).toMatchObject({
      system: 'pbs',
      allocatedCpus: 4,
      pilotReference: 'sshpbs://ce.example.org/7',
    });
    expect((await batchOf({ PBS_JOBID: '7.server', PBS_NP: '8' })).info.allocatedCpus).toBe(8);
  });
  it('LSF: the first host in LSB_MCPU_HOSTS', async () => {
    expect(parseLsfMcpuHosts('hostA 4 hostB 2')).toEqual([
      ['hostA', 4],
      ['hostB', 2],
    ]);
    expect(parseLsfMcpuHosts('hostA')).toBeNull();
    expect((await batchOf({ LSB_JOBID: '5', LSB_MCPU_HOSTS: 'hostA 4 hostB 2', LSB_DJOB_NUMPROC: '6' })).info).toMatchObject({
      system: 'lsf',
      allocatedCpus: 4,
      nodes: 2,
    });
    const bad = await batchOf({ LSB_JOBID: '5', LSB_MCPU_HOSTS: 'hostA', LSB_DJOB_NUMPROC: '6' });
    expect(bad.info.allocatedCpus).toBe(6);
    expect(bad.warnings[0]).toMatch(/LSB_MCPU_HOSTS="hostA" is not "host count/);
  });
  it('SGE: JOB_ID counts only with an SGE-only variable beside it', async () => {
    expect((await batchOf({ JOB_ID: '3' })).info.system).toBeNull();
    expect((await batchOf({ JOB_ID: '3', SGE_TASK_ID: 'undefined', NSLOTS: '12' })).info).toMatchObject({
      system: 'sge',
      allocatedCpus: 12,
      pilotReference: 'sshge://ce.example.org/3',
    });
  });
  it('MJF alone is an allocation; it fills gaps but never overrides the batch system', async () => {
    const root = ownCapture('mjf-lsf');
    const alone = await batchOf({ MACHINEFEATURES: '/etc/machinefeatures', JOBFEATURES: '/var/run/jobfeatures' }, root);
    expect(alone.info).toMatchObject({ system: 'mjf', allocatedCpus: 4, allocatedMemoryMB: 8192, pilotReference: null });
    const withSlurm = await batchOf({ SLURM_JOB_ID: '1', SLURM_CPUS_ON_NODE: '2', JOBFEATURES: '/var/run/jobfeatures' }, root);
    expect(withSlurm.info).toMatchObject({ system: 'slurm', allocatedCpus: 2, allocatedMemoryMB: 8192 });
  });
});

describe('DIRAC submitter detection', () => {
  it('follows getSubmitterInfo order: PBS before Slurm, Slurm before HTCondor', () => {
    expect(detectSubmitter({ SLURM_JOBID: '1', PBS_JOBID: '2' })?.system).toBe('pbs');
    expect(detectSubmitter({ SLURM_JOBID: '1', _CONDOR_JOB_AD: '/x' })?.system).toBe('slurm');
    expect(detectSubmitter({ OAR_JOBID: '9' })).toEqual({ system: 'oar', flavour: 'sshoar', jobId: '9' });
    expect(detectSubmitter({ GRID_GLOBAL_JOBURL: 'gsiftp://arc.example.org/jobs/abc' })?.system).toBe('arc');
    expect(detectSubmitter({})).toBeNull();
  });
  it('builds pilot references', () => {
    expect(pilotReferenceFor('sshslurm', '42', 'ce')).toBe('sshslurm://ce/42');
    expect(pilotReferenceFor('arc', 'gsiftp://arc.example.org/jobs/abc', 'ce')).toBe('gsiftp://arc.example.org/jobs/abc');
  });
  it('without a CE name, the reference names the submit host', async () => {
    const warnings = new Warnings();
    const source = await openNodeSource('/nonexistent');
    const slurm = await readBatch({ env: { SLURM_JOB_ID: '8', SLURM_SUBMIT_HOST: 'ce02.example.org' }, source, warnings });
    expect(slurm.pilotReference).toBe('sshslurm://ce02.example.org/8');
    const condor = await readBatch({
      env: { _CONDOR_JOB_AD: '/var/lib/condor/execute/dir_4242/.job.ad' },
      source: await openNodeSource(ownCapture('aarch64-neoverse-v1-htcondor')),
      warnings,
    });
    expect(condor.pilotReference).toBe('htcondorce://ce01.example.org/4242.0');
    expect((await readBatch({ env: { PBS_JOBID: '3.srv' }, source, warnings }, undefined, 'wn1')).pilotReference).toBe('sshpbs://wn1/3');
  });
  it('a submitter without an allocation reader still gives a reference', async () => {
    expect((await batchOf({ OAR_JOBID: '9' })).info).toMatchObject({
      system: 'oar',
      jobId: '9',
      pilotReference: 'sshoar://ce.example.org/9',
    });
  });
});

describe('a real Slurm job environment (captured on the CI Slurm)', () => {
  it('reads the allocation Slurm exported', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseEnvFile } = await import('../parse.js');
    const env = parseEnvFile(readFileSync(`${ownCapture('slurm-real-env')}/env.txt`, 'utf8'));
    const warnings = new Warnings();
    const info = await readBatch({ env, source: await openNodeSource('/nonexistent'), warnings });
    expect(info).toMatchObject({
      system: 'slurm',
      jobId: '25',
      allocatedCpus: 2,
      allocatedMemoryMB: 300,
      allocatedGpus: null,
      nodes: 1,
      partition: 'ci',
      pilotReference: 'sshslurm://vm/25',
    });
    expect(warnings.list).toEqual([]);
  });
});

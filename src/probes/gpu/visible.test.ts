import { describe, expect, it } from 'vitest';
import { Warnings } from '../warnings.js';
import { applyCudaVisibleDevices, selectVisibleGpus } from './visible.js';

const gpus = [0, 1, 2, 3].map((index) => ({ index, uuid: `GPU-${index}${index}aa-0000` }));
const none = { system: null, ids: null };

describe('CUDA_VISIBLE_DEVICES', () => {
  it('keeps the listed devices in order', () => {
    expect(applyCudaVisibleDevices('2,0', gpus).map((gpu) => gpu.index)).toEqual([2, 0]);
  });
  it('stops at the first invalid index: later ones are hidden', () => {
    expect(applyCudaVisibleDevices('1,7,2', gpus).map((gpu) => gpu.index)).toEqual([1]);
    expect(applyCudaVisibleDevices('x,0', gpus)).toEqual([]);
  });
  it('accepts UUID prefixes; empty, -1 and NoDevFiles hide everything', () => {
    expect(applyCudaVisibleDevices('GPU-33', gpus).map((gpu) => gpu.index)).toEqual([3]);
    expect(applyCudaVisibleDevices('', gpus)).toEqual([]);
    expect(applyCudaVisibleDevices('-1', gpus)).toEqual([]);
    expect(applyCudaVisibleDevices('NoDevFiles', gpus)).toEqual([]);
  });
});

describe('selection order', () => {
  it('CUDA_VISIBLE_DEVICES wins over the batch allocation', () => {
    const selected = selectVisibleGpus(gpus, { CUDA_VISIBLE_DEVICES: '1' }, { system: 'slurm', ids: ['2', '3'] }, new Warnings());
    expect(selected.gpus.map((gpu) => gpu.index)).toEqual([1]);
    expect(selected.selectedBy).toBe('CUDA_VISIBLE_DEVICES');
  });
  it('HTCondor AssignedGPUs by CUDA name or UUID', () => {
    expect(
      selectVisibleGpus(gpus, {}, { system: 'htcondor', ids: ['CUDA1', 'CUDA3'] }, new Warnings()).gpus.map((gpu) => gpu.index),
    ).toEqual([1, 3]);
    expect(selectVisibleGpus(gpus, {}, { system: 'htcondor', ids: ['GPU-22aa'] }, new Warnings()).gpus.map((gpu) => gpu.index)).toEqual([
      2,
    ]);
  });
  it('Slurm ids that do not resolve on a constrained node keep what is visible', () => {
    const constrained = gpus.slice(0, 2);
    const selected = selectVisibleGpus(constrained, {}, { system: 'slurm', ids: ['5', '6'] }, new Warnings());
    expect(selected.gpus).toHaveLength(2);
  });
  it('Slurm ids partly missing on an unconstrained node: keep the resolvable ones and warn', () => {
    const warnings = new Warnings();
    const selected = selectVisibleGpus(gpus, {}, { system: 'slurm', ids: ['1', '9'] }, warnings);
    expect(selected.gpus.map((gpu) => gpu.index)).toEqual([1]);
    expect(warnings.list[0]?.message).toMatch(/SLURM_JOB_GPUS names devices that are not here/);
  });
  it('GPU_DEVICE_ORDINAL, then NVIDIA_VISIBLE_DEVICES', () => {
    expect(selectVisibleGpus(gpus, { GPU_DEVICE_ORDINAL: '3' }, none, new Warnings()).gpus.map((gpu) => gpu.index)).toEqual([3]);
    expect(selectVisibleGpus(gpus, { NVIDIA_VISIBLE_DEVICES: 'all' }, none, new Warnings()).gpus).toHaveLength(4);
    expect(selectVisibleGpus(gpus, { NVIDIA_VISIBLE_DEVICES: 'void' }, none, new Warnings()).gpus).toHaveLength(0);
    expect(selectVisibleGpus(gpus, { NVIDIA_VISIBLE_DEVICES: '0,2' }, none, new Warnings()).gpus.map((gpu) => gpu.index)).toEqual([0, 2]);
  });
});

import { describe, expect, it } from 'vitest';
import { SlotPool, isSlot, type Slot } from './slots.js';

const job = (
  min: number,
  max = min,
  extra: Partial<{ wholeNode: boolean; numberOfGPUs: number; maxRAMMB: number | null; minRAMMB: number | null }> = {},
) => ({
  processors: { min, max },
  wholeNode: false,
  numberOfGPUs: 0,
  maxRAMMB: null,
  ...extra,
});

describe('SlotPool', () => {
  it('gives four single-core jobs four disjoint CPUs and a quarter of the memory each', () => {
    const pool = new SlotPool({ processors: 4, cpuIds: [0, 1, 2, 3], memoryMB: 8000, gpus: [] });
    const slots = [1, 2, 3, 4].map(() => pool.acquire(job(1))).filter(isSlot);
    expect(slots.map((s) => s.cpuIds)).toEqual([[0], [1], [2], [3]]);
    expect(slots.every((s) => s.memoryMB === 2000)).toBe(true);
    expect(pool.free()).toEqual({ processors: 0, memoryMB: 0, gpus: 0 });
    expect(isSlot(pool.acquire(job(1)))).toBe(false);
    pool.release(slots[2]!);
    const again = pool.acquire(job(1)) as Slot;
    expect(again.cpuIds).toEqual([2]);
  });

  it('takes as many processors as a ranged job allows, at least its minimum', () => {
    const pool = new SlotPool({ processors: 8, memoryMB: 16000, gpus: [] });
    expect((pool.acquire(job(2, 6)) as Slot).processors).toBe(6);
    expect((pool.acquire(job(1, 4)) as Slot).processors).toBe(2);
    expect(pool.acquire(job(1))).toEqual({ reason: 'needs 1 processors, 0 free' });
  });

  it('gives a whole-node job everything, only when idle', () => {
    const pool = new SlotPool({ processors: 4, memoryMB: 4000, gpus: ['GPU-a'] });
    const one = pool.acquire(job(1)) as Slot;
    expect(pool.acquire(job(1, 1, { wholeNode: true }))).toEqual({ reason: 'WholeNode job needs an idle pilot' });
    pool.release(one);
    const whole = pool.acquire(job(1, 1, { wholeNode: true })) as Slot;
    expect(whole).toMatchObject({ processors: 4, memoryMB: 4000, wholeNode: true });
  });

  it('hands out GPUs exclusively and refuses jobs asking for more than free', () => {
    const pool = new SlotPool({ processors: 4, memoryMB: 4000, gpus: ['GPU-a', 'GPU-b'] });
    expect((pool.acquire(job(1, 1, { numberOfGPUs: 1 })) as Slot).gpus).toEqual(['GPU-a']);
    expect(pool.acquire(job(1, 1, { numberOfGPUs: 2 }))).toEqual({ reason: 'needs 2 GPUs, 1 free' });
    expect((pool.acquire(job(1, 1, { numberOfGPUs: 1 })) as Slot).gpus).toEqual(['GPU-b']);
  });

  it('honours a job memory request and refuses one that does not fit', () => {
    const pool = new SlotPool({ processors: 4, memoryMB: 4000, gpus: [] });
    expect((pool.acquire(job(1, 1, { maxRAMMB: 3000 })) as Slot).memoryMB).toBe(3000);
    expect(pool.acquire(job(1, 1, { maxRAMMB: 2000 }))).toEqual({ reason: 'needs 2000 MB, 1000 MB free' });
  });

  it('ignores a double release', () => {
    const pool = new SlotPool({ processors: 2, memoryMB: 100, gpus: [] });
    const slot = pool.acquire(job(1)) as Slot;
    pool.release(slot);
    pool.release(slot);
    expect(pool.free().processors).toBe(2);
  });
});

describe('memory as request and limit (DIRAC v9 #8366)', () => {
  it('reserves the request (MinRAM) and enforces the limit (MaxRAM)', () => {
    const pool = new SlotPool({ processors: 4, memoryMB: 8000, gpus: [] });
    const slot = pool.acquire(job(1, 1, { minRAMMB: 1000, maxRAMMB: 3000 }));
    expect(slot).toMatchObject({ memoryMB: 1000, memoryLimitMB: 3000 });
    expect(pool.free().memoryMB).toBe(7000);
  });

  it('a lone MaxRAM is both, as in the Pool CE; a lone MinRAM is its own limit', () => {
    const pool = new SlotPool({ processors: 4, memoryMB: 8000, gpus: [] });
    expect(pool.acquire(job(1, 1, { maxRAMMB: 2500 }))).toMatchObject({ memoryMB: 2500, memoryLimitMB: 2500 });
    expect(pool.acquire(job(1, 1, { minRAMMB: 1500 }))).toMatchObject({ memoryMB: 1500, memoryLimitMB: 1500 });
  });

  it('only the request must fit: the limit may reach into memory reserved but unused', () => {
    const pool = new SlotPool({ processors: 2, memoryMB: 4000, gpus: [] });
    expect(pool.acquire(job(1, 1, { minRAMMB: 3000 }))).toMatchObject({ memoryMB: 3000 });
    expect(pool.acquire(job(1, 1, { minRAMMB: 1000, maxRAMMB: 4000 }))).toMatchObject({ memoryMB: 1000, memoryLimitMB: 4000 });
    const pool2 = new SlotPool({ processors: 2, memoryMB: 4000, gpus: [] });
    pool2.acquire(job(1, 1, { minRAMMB: 3000 }));
    expect(pool2.acquire(job(1, 1, { minRAMMB: 1500, maxRAMMB: 2000 }))).toEqual({ reason: 'needs 1500 MB, 1000 MB free' });
  });

  it('without a figure, a share proportional to the processors is both', () => {
    const pool = new SlotPool({ processors: 4, memoryMB: 8000, gpus: [] });
    expect(pool.acquire(job(2))).toMatchObject({ memoryMB: 4000, memoryLimitMB: 4000 });
  });
});

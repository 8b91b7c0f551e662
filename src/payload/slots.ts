import type { JobDescription } from './job.js';

/** What the pilot may hand out to payloads: the probed allocation, possibly capped by options. */
export interface SlotCapacity {
  processors: number;
  /** CPU ids the slot may use (cpuset), when known; used for exact per-job CPU sets. */
  cpuIds?: number[];
  memoryMB: number;
  /** GPU identifiers as CUDA_VISIBLE_DEVICES would name them (index or UUID). */
  gpus: string[];
}

/** One job's share of the pilot's allocation. */
export interface Slot {
  readonly id: number;
  readonly processors: number;
  readonly cpuIds: number[];
  /** Memory reserved for the job (its request), MB. */
  readonly memoryMB: number;
  /** Memory the job may use before it is stopped (its limit), MB: at least the reservation. */
  readonly memoryLimitMB: number;
  readonly gpus: string[];
  readonly wholeNode: boolean;
}

/**
 * Partitions the pilot's cores, memory and GPUs among concurrent jobs, as DIRAC's Pool CE does,
 * but exactly: every job gets a disjoint set of CPU ids and GPUs and a memory share, and a job
 * that cannot get its minimum does not start.
 */
export class SlotPool {
  readonly capacity: SlotCapacity;
  private freeCpuIds: number[];
  private freeProcessors: number;
  private freeMemoryMB: number;
  private freeGpus: string[];
  private readonly active = new Map<number, Slot>();
  private nextId = 1;

  constructor(capacity: SlotCapacity) {
    if (!Number.isInteger(capacity.processors) || capacity.processors < 1) {
      throw new RangeError(`slot capacity needs at least one processor, got ${capacity.processors}`);
    }
    this.capacity = { ...capacity, gpus: [...capacity.gpus] };
    this.freeProcessors = capacity.processors;
    // CPU ids only when there is one per processor: an over-subscribed pilot (-P above the
    // CPUs it may use) shares them all rather than pinning some jobs and not others.
    const ids = capacity.cpuIds ?? [];
    this.freeCpuIds = ids.length >= capacity.processors ? ids.slice(0, capacity.processors) : [];
    this.freeMemoryMB = capacity.memoryMB;
    this.freeGpus = [...capacity.gpus];
  }

  get running(): number {
    return this.active.size;
  }

  /** Free resources now: what a resource description for the next match may offer. */
  free(): { processors: number; memoryMB: number; gpus: number } {
    return { processors: this.freeProcessors, memoryMB: this.freeMemoryMB, gpus: this.freeGpus.length };
  }

  /**
   * Takes a share for `job`, or returns null with the reason when it does not fit now.
   * Processors: as many as the job allows up to what is free (at least its minimum).
   * Memory: the job's request (MinRAM, else MaxRAM) is reserved, else a share proportional to its
   * processors; its limit (MaxRAM) is what gets enforced, else the reservation. Like DIRAC's Pool
   * CE, only the request must fit in what is free: the limit may reach into memory that other
   * jobs reserved but are not using, which is the point of asking less than the limit.
   */
  acquire(
    job: Pick<JobDescription, 'processors' | 'wholeNode' | 'numberOfGPUs' | 'maxRAMMB'> & Partial<Pick<JobDescription, 'minRAMMB'>>,
  ): Slot | { reason: string } {
    if (job.wholeNode && this.active.size > 0) return { reason: 'WholeNode job needs an idle pilot' };
    const want = job.wholeNode ? this.freeProcessors : Math.min(job.processors.max, this.freeProcessors);
    if (want < job.processors.min) {
      return { reason: `needs ${job.processors.min} processors, ${this.freeProcessors} free` };
    }
    if (job.numberOfGPUs > this.freeGpus.length) {
      return { reason: `needs ${job.numberOfGPUs} GPUs, ${this.freeGpus.length} free` };
    }
    const proportional = Math.floor((this.capacity.memoryMB * want) / this.capacity.processors);
    const request = job.minRAMMB ?? job.maxRAMMB;
    const memoryMB = job.wholeNode ? Math.max(this.freeMemoryMB, request ?? 0) : (request ?? Math.min(proportional, this.freeMemoryMB));
    if (memoryMB > this.freeMemoryMB) {
      return { reason: `needs ${memoryMB} MB, ${this.freeMemoryMB} MB free` };
    }
    const slot: Slot = {
      id: this.nextId++,
      processors: want,
      cpuIds: this.freeCpuIds.splice(0, Math.min(want, this.freeCpuIds.length)),
      memoryMB,
      memoryLimitMB: Math.max(memoryMB, job.maxRAMMB ?? 0),
      gpus: this.freeGpus.splice(0, job.numberOfGPUs),
      wholeNode: job.wholeNode,
    };
    this.freeProcessors -= want;
    this.freeMemoryMB -= memoryMB;
    this.active.set(slot.id, slot);
    return slot;
  }

  release(slot: Slot): void {
    if (!this.active.delete(slot.id)) return;
    this.freeProcessors += slot.processors;
    this.freeMemoryMB += slot.memoryMB;
    this.freeCpuIds.push(...slot.cpuIds);
    this.freeCpuIds.sort((a, b) => a - b);
    this.freeGpus.push(...slot.gpus);
  }
}

export function isSlot(value: Slot | { reason: string }): value is Slot {
  return 'id' in value;
}

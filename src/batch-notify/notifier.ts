/**
 * Tells the batch system what runs in the slot after each job state change. Best effort: each
 * command has a deadline, updates are coalesced (only the latest picture is sent, one command set
 * at a time), and a target that keeps failing is dropped with one warning. Never fatal.
 */
import { execa } from 'execa';
import type { Backend, StatusUpdate } from '../backend/types.js';
import type { Logger } from '../core/logger.js';
import type { BatchTarget, NotifyCommand, SlotPicture } from './targets.js';

export interface BatchNotifierOptions {
  targets: BatchTarget[];
  pilotStamp: string;
  vo: string;
  logger: Logger;
  /** Per command; a stuck condor_chirp or slurmctld must not hold anything up. */
  timeoutMs?: number;
  /** Consecutive failures after which a target is given up. */
  maxFailures?: number;
  run?: (command: NotifyCommand, timeoutMs: number) => Promise<void>;
}

/** How many finished jobs the picture remembers (a pilot may run hundreds). */
const KEEP_JOBS = 32;

async function runCommand(command: NotifyCommand, timeoutMs: number): Promise<void> {
  await execa(command.file, command.args, { timeout: timeoutMs, stdin: 'ignore', reject: true });
}

export class BatchNotifier {
  private readonly jobs = new Map<number, string>();
  private readonly failures = new Map<BatchTarget, number>();
  private targets: BatchTarget[];
  private lastJobId = 0;
  private dirty = false;
  private running: Promise<void> | null = null;

  constructor(private readonly options: BatchNotifierOptions) {
    this.targets = [...options.targets];
  }

  get active(): readonly string[] {
    return this.targets.map((target) => target.name);
  }

  /** Record a job's new state; the batch system hears of it shortly, without waiting for it. */
  jobState(jobId: number, status: string): void {
    if (this.targets.length === 0) return;
    this.jobs.delete(jobId);
    this.jobs.set(jobId, status);
    while (this.jobs.size > KEEP_JOBS) this.jobs.delete(this.jobs.keys().next().value as number);
    this.lastJobId = jobId;
    this.dirty = true;
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
  }

  /** Resolves when everything recorded so far was sent (or given up); for the pilot's exit and tests. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    const run = this.options.run ?? runCommand;
    const timeoutMs = this.options.timeoutMs ?? 5_000;
    while (this.dirty && this.targets.length > 0) {
      this.dirty = false;
      const picture: SlotPicture = {
        pilotStamp: this.options.pilotStamp,
        vo: this.options.vo,
        jobs: new Map(this.jobs),
        lastJobId: this.lastJobId,
      };
      for (const target of [...this.targets]) {
        try {
          for (const command of target.commands(picture)) await run(command, timeoutMs);
          this.failures.set(target, 0);
        } catch (error) {
          this.recordFailure(target, error);
        }
      }
    }
  }

  private recordFailure(target: BatchTarget, error: unknown): void {
    const count = (this.failures.get(target) ?? 0) + 1;
    this.failures.set(target, count);
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    if (count >= (this.options.maxFailures ?? 3)) {
      this.targets = this.targets.filter((t) => t !== target);
      this.options.logger.warn({ target: target.name, reason }, `telling the batch system what runs here failed ${count} times: given up`);
    } else {
      this.options.logger.debug({ target: target.name, reason }, 'telling the batch system what runs here failed');
    }
  }
}

/**
 * The same backend, with each job status the pilot reports also told to the batch system. The job
 * wrapper stays unaware of it: status reports are already the one place every state change passes.
 */
export function withBatchNotifier<B extends Backend>(backend: B, notifier: BatchNotifier): B {
  if (notifier.active.length === 0) return backend;
  const setJobStatus = (jobId: number, update: StatusUpdate): Promise<void> => {
    if (update.status) notifier.jobState(jobId, update.status);
    return backend.setJobStatus(jobId, update);
  };
  // A proxy, not a subclass: the backend's methods keep their own `this` (private fields included).
  return new Proxy(backend, {
    get(target, property) {
      if (property === 'setJobStatus') return setJobStatus;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

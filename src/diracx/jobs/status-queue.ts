import type { Logger } from '../../core/logger.js';
import { isPilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { SpooledStatus, StatusSpool } from './status-spool.js';

/** Sends one batch; resolves with the per-job failures the server reported (job id → detail). */
export type StatusSender = (batch: readonly SpooledStatus[], deadline: () => number | undefined) => Promise<Record<string, string>>;

interface Pending {
  entry: SpooledStatus;
  settle?: { resolve: () => void; reject: (error: unknown) => void };
}

export interface StatusQueueOptions {
  send: StatusSender;
  spool: StatusSpool | null;
  logger: Logger;
  /** After an outage, new updates only queue (no network wait) for this long. */
  outageBackoffMs?: number;
  maxBatch?: number;
  now?: () => number;
}

/**
 * Job status updates in the order they were made, delivered one batch at a time (one request may
 * carry many jobs and many timestamps). While the server is unreachable updates stay queued (and
 * spooled, when a spool is configured) and callers are not held up; the next update after the
 * back-off, or `flush()`, tries again.
 */
export class StatusQueue {
  private pending: Pending[] = [];
  private running: Promise<void> | null = null;
  private outageUntil = 0;
  /** Set while flush() runs: a delivery already retrying must give up by then too. */
  private flushDeadline: number | undefined;
  private readonly now: () => number;

  constructor(private readonly options: StatusQueueOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.pending.length;
  }

  /** Put back updates a previous pilot spooled; they go out before anything new. */
  adopt(entries: readonly SpooledStatus[]): void {
    this.pending.unshift(...entries.map((entry) => ({ entry })));
  }

  /** Resolves once delivered, or once queued and spooled during an outage. */
  enqueue(entry: SpooledStatus): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ entry, settle: { resolve, reject } });
      if (this.now() < this.outageUntil) {
        void this.persist().then(
          () => this.settleWaiting(),
          (error: unknown) => this.settleWaiting(error),
        );
        return;
      }
      void this.pump();
    });
  }

  /** Try to deliver everything now; what is still undelivered at `deadline` stays spooled. */
  async flush(deadline?: number): Promise<void> {
    this.outageUntil = 0;
    this.flushDeadline = deadline;
    try {
      // Twice: a pump already running may stop at the outage without having seen this flush.
      await this.pump();
      if (this.pending.length > 0 && (deadline === undefined || this.now() < deadline)) await this.pump();
    } finally {
      this.flushDeadline = undefined;
    }
    await this.persist();
  }

  private pump(): Promise<void> {
    // A pump already running also picks up whatever was queued meanwhile (see drain's loop).
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    const maxBatch = this.options.maxBatch ?? 200;
    try {
      for (;;) {
        if (this.pending.length === 0) {
          await this.persist().catch(() => undefined);
          // Something may have been queued while the spool was being cleared.
          if (this.pending.length === 0) return;
          continue;
        }
        const batch = this.pending.slice(0, maxBatch);
        try {
          const failed = await this.options.send(
            batch.map((item) => item.entry),
            () => this.flushDeadline,
          );
          for (const [jobId, detail] of Object.entries(failed)) {
            this.options.logger.warn(`job ${jobId}: status update rejected by the server: ${detail}`);
          }
          this.pending.splice(0, batch.length);
          for (const item of batch) item.settle?.resolve();
        } catch (error) {
          const code = isPilotError(error) ? error.exitCode : ExitCode.INTERNAL;
          if (code === ExitCode.SERVER_PROTOCOL) {
            // The server understood and refused this batch (400/404/422): resending cannot help.
            this.options.logger.warn(`status updates for job(s) ${jobList(batch)} dropped: ${(error as Error).message}`);
            this.pending.splice(0, batch.length);
            for (const item of batch) item.settle?.resolve();
            continue;
          }
          this.outageUntil = this.now() + (this.options.outageBackoffMs ?? 30_000);
          this.options.logger.warn(`${this.pending.length} status update(s) kept for later: ${(error as Error).message}`);
          await this.persist().catch((spoolError: unknown) => {
            this.options.logger.error(`could not spool status updates: ${(spoolError as Error).message}`);
          });
          // Unreachable: the update is kept, the caller goes on. Refused credentials: the pilot must know.
          this.settleWaiting(code === ExitCode.AUTH_REFUSED || code === ExitCode.TLS ? error : undefined);
          return;
        }
      }
    } finally {
      // Cleared inside the async function, with no await after the last emptiness check, so an
      // enqueue can never find a pump that has already decided to stop.
      this.running = null;
    }
  }

  private settleWaiting(error?: unknown): void {
    for (const item of this.pending) {
      if (!item.settle) continue;
      if (error) item.settle.reject(error);
      else item.settle.resolve();
      delete item.settle;
    }
  }

  /**
   * Spool what is undelivered now, synchronously: the pilot is about to exit whatever is still in
   * flight. Returns how many updates were spooled (0 without a spool).
   */
  spoolNow(): number {
    if (!this.options.spool || this.pending.length === 0) return 0;
    this.options.spool.writeNow(this.pending.map((item) => item.entry));
    return this.pending.length;
  }

  private async persist(): Promise<void> {
    if (!this.options.spool) {
      if (this.pending.length > 0) {
        this.options.logger.warn(`${this.pending.length} status update(s) undelivered and no spool directory configured`);
      }
      return;
    }
    await this.options.spool.write(this.pending.map((item) => item.entry));
  }
}

function jobList(batch: readonly Pending[]): string {
  return [...new Set(batch.map((item) => item.entry.jobId))].join(',');
}

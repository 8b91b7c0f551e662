import { Writable } from 'node:stream';

/** One line of `POST /api/pilots/internal/message` (PROPOSAL, diracx PR #550). */
export interface PilotLogLine {
  timestamp: string;
  severity: string;
  message: string;
  scope: string;
}

export interface PilotLogShipperOptions {
  /** Delivers one batch; rejects when it could not. */
  send: (lines: PilotLogLine[]) => Promise<void>;
  /** Ship as soon as this many lines wait (DIRAC's RemoteLoggerBufsize). */
  batchLines?: number;
  /** Ship whatever waits this often (DIRAC's RemoteLoggerTimerInterval). */
  intervalMs?: number;
  /** Past this many waiting lines the oldest are dropped and counted. */
  maxBufferedLines?: number;
  /** Scope for records without a `cmd` field. */
  scope?: string;
  /**
   * A failure no retry will cure (the route does not exist: DiracX answers 404 today): the shipper
   * stops for good, drops what it holds, and calls `onGiveUp` once with the error.
   */
  isPermanent?: (error: unknown) => boolean;
  onGiveUp?: (error: unknown) => void;
}

export interface PilotLogShipperStats {
  shipped: number;
  dropped: number;
  failedBatches: number;
  buffered: number;
}

const SEVERITY: Record<number, string> = { 10: 'DEBUG', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A pino record (already redacted by the logger) as a pilot log line. */
export function toPilotLogLine(record: Record<string, unknown>, defaultScope: string): PilotLogLine {
  const { time, level, msg, cmd, pid: _pid, hostname: _host, ...rest } = record;
  const millis = typeof time === 'number' ? time : Date.now();
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return {
    timestamp: new Date(millis).toISOString(),
    severity: SEVERITY[level as number] ?? 'INFO',
    message: `${typeof msg === 'string' ? msg : ''}${extra}`,
    scope: typeof cmd === 'string' && cmd ? cmd : defaultScope,
  };
}

/**
 * A pino destination that ships log lines to DiracX in the background, batched by count and by
 * time like DIRAC's remote logger. Writing never waits on the network; when the buffer is full
 * the oldest lines go first and the count of dropped lines is reported in the next batch. It never
 * logs through the pilot's logger (that would feed itself).
 */
export class PilotLogShipper extends Writable {
  private buffer: PilotLogLine[] = [];
  private sending: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly batchLines: number;
  private readonly maxBuffered: number;
  private readonly scope: string;
  private droppedSinceReport = 0;
  private gaveUp = false;
  /** Whether the drain under way sends a last, partial batch too (the timer, the end), or only full ones. */
  private flushAll = false;
  private readonly counters = { shipped: 0, dropped: 0, failedBatches: 0 };

  constructor(private readonly options: PilotLogShipperOptions) {
    super({ decodeStrings: false });
    this.batchLines = Math.max(1, options.batchLines ?? 100);
    this.maxBuffered = Math.max(this.batchLines, options.maxBufferedLines ?? 10_000);
    this.scope = options.scope ?? 'pilot';
    // 0: no timer, lines leave when a batch is full and at the end (DIRAC's RemoteLoggerTimerInterval 0).
    const intervalMs = options.intervalMs ?? 10_000;
    this.timer = intervalMs > 0 ? setInterval(() => void this.ship(), intervalMs) : undefined;
    this.timer?.unref();
  }

  stats(): PilotLogShipperStats {
    return { ...this.counters, buffered: this.buffer.length };
  }

  /** Whether a permanent failure stopped it (the log stays local). */
  get stopped(): boolean {
    return this.gaveUp;
  }

  /**
   * The logger keeps writing to its destinations after this one ended or gave up (the give-up
   * warning itself, the pilot's last lines): those lines stay local instead of becoming a
   * write-after-end error.
   */
  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    if (this.gaveUp || this.writableEnded) {
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as (error?: Error | null) => void)());
      return true;
    }
    return super.write(chunk, encoding as BufferEncoding, callback as (error?: Error | null) => void);
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.gaveUp) return done();
    for (const text of String(chunk).split('\n')) {
      if (!text.trim()) continue;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(text) as Record<string, unknown>;
      } catch {
        record = { msg: text };
      }
      this.bufferLine(toPilotLogLine(record, this.scope));
    }
    // A full batch leaves at once; what is left over waits for the timer or the end, as DIRAC's
    // pilot logger sends only whole buffers between its timer flushes.
    if (this.buffer.length >= this.batchLines) this.sending ??= this.drain();
    done();
  }

  private bufferLine(line: PilotLogLine): void {
    this.buffer.push(line);
    const excess = this.buffer.length - this.maxBuffered;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.counters.dropped += excess;
      this.droppedSinceReport += excess;
    }
  }

  /** Send everything buffered, one batch at a time; a failed batch goes back to the front. */
  ship(): Promise<void> {
    this.flushAll = true;
    this.sending ??= this.drain();
    return this.sending;
  }

  private async drain(): Promise<void> {
    try {
      await this.drainBatches();
    } finally {
      this.sending = null;
      this.flushAll = false;
    }
  }

  private async drainBatches(): Promise<void> {
    while (this.buffer.length >= (this.flushAll ? 1 : this.batchLines)) {
      const batch = this.buffer.splice(0, this.batchLines);
      const dropped = this.droppedSinceReport;
      const lines =
        dropped > 0
          ? [
              {
                timestamp: new Date().toISOString(),
                severity: 'WARN',
                message: `${dropped} log line(s) dropped: buffer full`,
                scope: this.scope,
              },
              ...batch,
            ]
          : batch;
      try {
        await this.options.send(lines);
        this.counters.shipped += batch.length;
        this.droppedSinceReport -= dropped;
      } catch (error) {
        this.counters.failedBatches++;
        if (this.options.isPermanent?.(error)) {
          // The log stays local (pilot.log); resending the same batch every interval would go on forever.
          this.gaveUp = true;
          clearInterval(this.timer);
          this.counters.dropped += batch.length + this.buffer.length;
          this.buffer = [];
          this.options.onGiveUp?.(error);
          return;
        }
        this.buffer.unshift(...batch);
        const excess = this.buffer.length - this.maxBuffered;
        if (excess > 0) {
          this.buffer.splice(0, excess);
          this.counters.dropped += excess;
          this.droppedSinceReport += excess;
        }
        return; // the timer tries again later
      }
    }
  }

  override _final(done: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    this.ship().then(
      () => done(),
      () => done(),
    );
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    done(error);
  }
}

export function createPilotLogShipper(options: PilotLogShipperOptions): PilotLogShipper {
  return new PilotLogShipper(options);
}

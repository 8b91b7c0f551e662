import { describe, expect, it, vi } from 'vitest';
import { createPilotLogShipper, toPilotLogLine, type PilotLogLine } from './pilot-log-shipper.js';

const record = (msg: string, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ level: 30, time: 1_795_000_000_000, msg, ...extra })}\n`;

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

describe('pilot log shipper', () => {
  it('turns a pino record into a pilot log line, scope from the command', () => {
    expect(toPilotLogLine({ level: 40, time: 1_795_000_000_000, msg: 'slow disk', cmd: 'check-worker-node', freeMB: 12 }, 'pilot')).toEqual(
      {
        timestamp: new Date(1_795_000_000_000).toISOString(),
        severity: 'WARN',
        message: 'slow disk {"freeMB":12}',
        scope: 'check-worker-node',
      },
    );
  });

  it("sends on its timer, and with interval 0 (DIRAC's RemoteLoggerTimerInterval 0) only full batches and the end", async () => {
    vi.useFakeTimers();
    try {
      for (const intervalMs of [5_000, 0]) {
        const batches: PilotLogLine[][] = [];
        const shipper = createPilotLogShipper({ batchLines: 10, intervalMs, send: async (lines) => void batches.push(lines) });
        await write(shipper, record('a'));
        await vi.advanceTimersByTimeAsync(60_000);
        expect(batches.length, `interval ${intervalMs}`).toBe(intervalMs > 0 ? 1 : 0);
        await new Promise<void>((resolve) => shipper.end(resolve));
        await vi.advanceTimersByTimeAsync(1);
        expect(
          batches.flat().map((line) => line.message),
          `interval ${intervalMs}`,
        ).toEqual(['a']);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('lines that come in while a full batch is being sent wait for the next full batch, the timer or the end', async () => {
    const batches: string[][] = [];
    let release: () => void = () => undefined;
    const shipper = createPilotLogShipper({
      batchLines: 3,
      intervalMs: 0,
      send: async (lines) => {
        batches.push(lines.map((line) => line.message));
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    for (const msg of ['a', 'b', 'c', 'd']) await write(shipper, record(msg));
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([['a', 'b', 'c']]);
    await new Promise<void>((resolve) => shipper.end(resolve));
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('ships full batches as soon as they fill, the rest at the end', async () => {
    const batches: PilotLogLine[][] = [];
    const shipper = createPilotLogShipper({ batchLines: 2, intervalMs: 60_000, send: async (lines) => void batches.push(lines) });
    for (const msg of ['a', 'b', 'c']) await write(shipper, record(msg));
    await shipper.ship();
    await new Promise<void>((resolve) => shipper.end(resolve));
    expect(batches.map((b) => b.map((l) => l.message))).toEqual([['a', 'b'], ['c']]);
    expect(shipper.stats()).toEqual({ shipped: 3, dropped: 0, failedBatches: 0, buffered: 0 });
  });

  it('never blocks the writer: while the server is away it keeps the newest lines, drops the oldest and reports how many', async () => {
    let up = false;
    const batches: PilotLogLine[][] = [];
    const shipper = createPilotLogShipper({
      batchLines: 2,
      maxBufferedLines: 4,
      intervalMs: 60_000,
      send: async (lines) => {
        if (!up) throw new Error('503');
        batches.push(lines);
      },
    });
    for (let i = 1; i <= 10; i++) await write(shipper, record(`line ${i}`));
    await shipper.ship();
    expect(shipper.stats()).toMatchObject({ dropped: 6, buffered: 4 });
    up = true;
    await shipper.ship();
    const messages = batches.flat().map((l) => l.message);
    expect(messages).toEqual(['6 log line(s) dropped: buffer full', 'line 7', 'line 8', 'line 9', 'line 10']);
    shipper.destroy();
  });

  it('gives up for good on a permanent failure (a route the server does not have): one send, one give-up, later lines stay local', async () => {
    let sends = 0;
    const givenUp: unknown[] = [];
    const shipper = createPilotLogShipper({
      batchLines: 2,
      intervalMs: 60_000,
      send: async () => {
        sends++;
        throw Object.assign(new Error('HTTP 404: Not Found'), { status: 404 });
      },
      isPermanent: (error) => (error as { status?: number }).status === 404,
      onGiveUp: (error) => givenUp.push(error),
    });
    for (const msg of ['a', 'b', 'c', 'd', 'e']) await write(shipper, record(msg));
    await shipper.ship();
    await shipper.ship();
    expect(sends).toBe(1);
    expect(givenUp).toHaveLength(1);
    expect(shipper.stopped).toBe(true);
    expect(shipper.stats()).toMatchObject({ buffered: 0, failedBatches: 1 });
    await new Promise<void>((resolve) => shipper.end(resolve));
    // The logger may still write after the end (its own last lines): no write-after-end error.
    await write(shipper, record('after the end'));
    expect(sends).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { silentLogger } from '../../core/logger.js';
import { StatusQueue, type StatusSender } from './status-queue.js';
import type { SpooledStatus } from './status-spool.js';

const entry = (jobId: number, n: number): SpooledStatus => ({
  jobId,
  timestamp: `2026-11-22T10:00:00.00000${n}+00:00`,
  update: { MinorStatus: `step ${n}`, Source: 'JobWrapper' },
});

function memorySpool() {
  const writes: SpooledStatus[][] = [];
  return { writes, spool: { write: async (entries: readonly SpooledStatus[]) => void writes.push([...entries]) } as never };
}

describe('StatusQueue', () => {
  it('delivers an update queued while the previous delivery is finishing (no stranded update)', async () => {
    const sent: string[] = [];
    const send: StatusSender = async (batch) => {
      sent.push(...batch.map((e) => e.update.MinorStatus!));
      return {};
    };
    const queue = new StatusQueue({ send, spool: null, logger: silentLogger() });
    for (let n = 1; n <= 5; n++) await queue.enqueue(entry(1, n));
    expect(sent).toEqual(['step 1', 'step 2', 'step 3', 'step 4', 'step 5']);
    expect(queue.size).toBe(0);
  });

  it('batches what was queued during a delivery into the next request, in order', async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const send: StatusSender = async (batch) => {
      batches.push(batch.map((e) => e.update.MinorStatus!));
      if (batches.length === 1) await gate;
      return {};
    };
    const queue = new StatusQueue({ send, spool: null, logger: silentLogger() });
    const first = queue.enqueue(entry(1, 1));
    const rest = [2, 3, 4].map((n) => queue.enqueue(entry(1, n)));
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([['step 1'], ['step 2', 'step 3', 'step 4']]);
  });

  it('during an outage resolves callers at once, keeps and spools everything, and flush delivers it', async () => {
    let up = false;
    let calls = 0;
    const sent: string[] = [];
    const send: StatusSender = async (batch) => {
      calls++;
      if (!up) throw new PilotError(ExitCode.SERVER_UNREACHABLE, 'down');
      sent.push(...batch.map((e) => e.update.MinorStatus!));
      return {};
    };
    const { spool, writes } = memorySpool();
    const queue = new StatusQueue({ send, spool, logger: silentLogger() });
    await queue.enqueue(entry(1, 1));
    await queue.enqueue(entry(1, 2)); // inside the outage back-off: no new network attempt
    expect(calls).toBe(1);
    expect(writes.at(-1)?.map((e) => e.update.MinorStatus)).toEqual(['step 1', 'step 2']);
    up = true;
    await queue.flush();
    expect(sent).toEqual(['step 1', 'step 2']);
    expect(writes.at(-1)).toEqual([]);
  });

  it('drops a batch the server refused as invalid, rejects callers when credentials are refused', async () => {
    const queue = new StatusQueue({
      send: async () => {
        throw new PilotError(ExitCode.SERVER_PROTOCOL, 'HTTP 404: no such job');
      },
      spool: null,
      logger: silentLogger(),
    });
    await queue.enqueue(entry(1, 1));
    expect(queue.size).toBe(0);
    const refused = new StatusQueue({
      send: async () => {
        throw new PilotError(ExitCode.AUTH_REFUSED, 'revoked');
      },
      spool: null,
      logger: silentLogger(),
    });
    await expect(refused.enqueue(entry(1, 1))).rejects.toMatchObject({ exitCode: ExitCode.AUTH_REFUSED });
    expect(refused.size).toBe(1);
  });
});

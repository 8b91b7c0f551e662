/**
 * DiracX stores heartbeats under (job, name, time to the second): a second heartbeat for a job
 * within the same second fails with 500 and, on sqlite, leaves the job table locked. The pacer
 * serialises heartbeat requests, and before every attempt (retries included) waits until each
 * job in it is past that window.
 */
export class HeartbeatPacer {
  private readonly lastSent = new Map<number, number>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly minIntervalMs = 1_100,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Run `send` after the previous heartbeat; it must await `beforeAttempt()` before each request. */
  run<T>(jobIds: readonly number[], send: (beforeAttempt: () => Promise<void>) => Promise<T>): Promise<T> {
    const beforeAttempt = async () => {
      const wait = Math.max(0, ...jobIds.map((id) => (this.lastSent.get(id) ?? -Infinity) + this.minIntervalMs - this.now()));
      if (wait > 0) await this.sleep(wait);
      const at = this.now();
      for (const id of jobIds) this.lastSent.set(id, at);
    };
    const next = this.chain.then(() => send(beforeAttempt));
    this.chain = next.catch(() => undefined);
    return next;
  }

  forget(jobId: number): void {
    this.lastSent.delete(jobId);
  }
}

import { describe, expect, it } from 'vitest';
import { HeartbeatPacer } from './heartbeat-pacer.js';

/** A pacer on a fake clock: sleeping advances it, and every attempt's time is recorded. */
function fakePacer() {
  let clock = 10_000;
  const slept: number[] = [];
  const pacer = new HeartbeatPacer(
    1_100,
    () => clock,
    async (ms) => {
      slept.push(ms);
      clock += ms;
    },
  );
  return { pacer, slept, now: () => clock, advance: (ms: number) => (clock += ms) };
}

describe('HeartbeatPacer', () => {
  it("holds a job's next heartbeat until 1.1 s after its previous attempt", async () => {
    const { pacer, slept, now, advance } = fakePacer();
    const attempts: number[] = [];
    const beat = (jobs: number[]) =>
      pacer.run(jobs, async (before) => {
        await before();
        attempts.push(now());
      });
    await beat([1]);
    advance(300);
    await beat([1, 2]);
    await beat([2]);
    expect(attempts).toEqual([10_000, 11_100, 12_200]);
    expect(slept).toEqual([800, 1_100]);
  });

  it('spaces retries of one heartbeat too, and lets a job that has not beaten go at once', async () => {
    const { pacer, now } = fakePacer();
    const attempts: number[] = [];
    await pacer.run([7], async (before) => {
      for (let i = 0; i < 3; i++) {
        await before();
        attempts.push(now());
      }
    });
    await pacer.run([8], async (before) => {
      await before();
      attempts.push(now());
    });
    expect(attempts).toEqual([10_000, 11_100, 12_200, 12_200]);
  });

  it('keeps going after a failed heartbeat', async () => {
    const { pacer } = fakePacer();
    await expect(pacer.run([1], async () => Promise.reject(new Error('503')))).rejects.toThrow('503');
    await expect(pacer.run([1], async () => 'ok')).resolves.toBe('ok');
  });
});

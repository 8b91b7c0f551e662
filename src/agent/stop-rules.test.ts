import { describe, expect, it } from 'vitest';
import { firstStopRule, type StopFacts } from './stop-rules.js';

/** Facts under which no rule holds: a fresh agent with time and cycles to spare. */
const goOn: StopFacts = {
  stopSignal: null,
  drainFileFound: null,
  now: 1_000,
  deadline: 2_000,
  cycles: 0,
  maxCycles: 10,
  jobsTaken: 0,
  fillingMode: true,
  failedMatches: 0,
  stopAfterFailedMatches: 10,
};

describe('firstStopRule', () => {
  it('lets the agent go on when no rule holds', () => {
    expect(firstStopRule(goOn)).toBeNull();
    expect(firstStopRule({ ...goOn, deadline: null, cpuWorkLeft: 5000, minimumTimeLeft: 5000 })).toBeNull();
  });

  it('names each rule on its own', () => {
    expect(firstStopRule({ ...goOn, stopSignal: 'SIGTERM' })).toEqual({ reason: 'signal', detail: 'SIGTERM' });
    expect(firstStopRule({ ...goOn, drainFileFound: '/var/lib/dirac_drain' })).toEqual({
      reason: 'drain',
      detail: 'drain file /var/lib/dirac_drain exists',
    });
    expect(firstStopRule({ ...goOn, now: 2_000 })?.reason).toBe('lifetime');
    expect(firstStopRule({ ...goOn, cycles: 10 })).toEqual({ reason: 'max-cycles', detail: 'MaxCycles 10 reached' });
    expect(firstStopRule({ ...goOn, jobsTaken: 1, fillingMode: false })?.reason).toBe('no-filling');
    expect(firstStopRule({ ...goOn, jobsTaken: 1 })).toBeNull();
    expect(firstStopRule({ ...goOn, failedMatches: 10 })).toEqual({ reason: 'no-match', detail: '10 matches found no job' });
    expect(firstStopRule({ ...goOn, cpuWorkLeft: 4999.6, minimumTimeLeft: 5000 })).toEqual({
      reason: 'time-left',
      detail: 'CPU work left 5000 below MinimumTimeLeft 5000',
    });
  });

  it('checks them in DIRAC order: signal, drain, lifetime, MaxCycles, filling, failed matches, time left', () => {
    const all: StopFacts = {
      stopSignal: 'SIGTERM',
      drainFileFound: '/d',
      now: 5_000,
      deadline: 2_000,
      cycles: 10,
      maxCycles: 10,
      jobsTaken: 1,
      fillingMode: false,
      failedMatches: 10,
      stopAfterFailedMatches: 10,
      cpuWorkLeft: 0,
      minimumTimeLeft: 5000,
    };
    const order = [];
    let facts = all;
    const clear: Partial<StopFacts>[] = [
      { stopSignal: null },
      { drainFileFound: null },
      { deadline: null },
      { cycles: 0 },
      { fillingMode: true },
      { failedMatches: 0 },
      { cpuWorkLeft: 10_000 },
    ];
    for (const next of clear) {
      order.push(firstStopRule(facts)?.reason);
      facts = { ...facts, ...next };
    }
    order.push(firstStopRule(facts)?.reason);
    expect(order).toEqual(['signal', 'drain', 'lifetime', 'max-cycles', 'no-filling', 'no-match', 'time-left', undefined]);
  });
});

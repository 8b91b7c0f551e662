import { describe, expect, it } from 'vitest';
import { matchCommandLines, windDownRule, WIND_DOWN_DEFAULTS } from './wind-down.js';

describe('windDownRule', () => {
  it('is off without StopSigRegex', () => {
    expect(windDownRule({ StopSigNumber: 15 })).toBeNull();
  });

  it("reads the JDL, the pilot configuration filling in, DIRAC's SIGINT by default", () => {
    expect(windDownRule({ StopSigRegex: 'gaudirun' })).toEqual({ regex: 'gaudirun', ...WIND_DOWN_DEFAULTS });
    expect(
      windDownRule(
        { StopSigRegex: 'evgen', StopSigNumber: 'SIGUSR1', StopSigStartWork: 0.5 },
        { StopSigFinishWork: 0.8, StopSigNumber: 15 },
      ),
    ).toEqual({
      regex: 'evgen',
      signal: 10,
      startFraction: 0.5,
      finishFraction: 0.8,
    });
    expect(windDownRule({}, { StopSigRegex: 'x', StopSigNumber: '12' })?.signal).toBe(12);
  });

  it('refuses what a job got wrong, naming the key', () => {
    expect(() => windDownRule({ StopSigRegex: '(' })).toThrow(/^StopSigRegex: not a regular expression/);
    expect(() => windDownRule({ StopSigRegex: 'x', StopSigNumber: 9 })).toThrow('StopSigNumber: not a signal a payload can handle: 9');
    expect(() => windDownRule({ StopSigRegex: 'x', StopSigStartWork: 1.5 })).toThrow(
      'StopSigStartWork: expected a fraction in (0, 1], got 1.5',
    );
    expect(() => windDownRule({ StopSigRegex: 'x', StopSigStartWork: 0.9, StopSigFinishWork: 0.5 })).toThrow(
      'StopSigFinishWork 0.5 is below StopSigStartWork 0.9',
    );
    expect(() => windDownRule({ StopSigRegex: 'a'.repeat(1001) })).toThrow(/longer than 1000/);
  });

  it('reads own keys only: an inherited name is not a rule', () => {
    expect(windDownRule(Object.create({ StopSigRegex: 'x' }) as Record<string, unknown>)).toBeNull();
  });
});

describe('matchCommandLines', () => {
  it('matches command lines', () => {
    const lines = new Map([
      [10, 'python3 evgen.py --events 1000'],
      [11, 'sleep 5'],
      [12, 'bash run.sh'],
    ]);
    expect(matchCommandLines('evgen|^bash', lines)).toEqual({ pids: [10, 12], timedOut: false });
  });

  it('cuts a catastrophic pattern off instead of freezing the pilot', () => {
    const lines = new Map([[10, `${'a'.repeat(40)}b`]]);
    expect(matchCommandLines('^(a+)+$', lines)).toEqual({ pids: [], timedOut: true });
  });
});

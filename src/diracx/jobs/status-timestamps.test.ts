import { describe, expect, it } from 'vitest';
import { formatMicros, parseMicros, StatusClock } from './status-timestamps.js';

describe('status timestamps', () => {
  it('are timezone-aware with microseconds', () => {
    expect(formatMicros(Date.parse('2026-11-22T23:15:57.096Z') * 1000 + 795)).toBe('2026-11-22T23:15:57.096795+00:00');
  });

  it('increase per job by a millisecond at least (the servers order the history to the millisecond)', () => {
    const clock = new StatusClock();
    const at = new Date('2026-11-22T10:00:00Z');
    const stamps = [clock.stamp(1, at), clock.stamp(1, at), clock.stamp(1, new Date(at.getTime() - 5000)), clock.stamp(2, at)];
    expect(stamps).toEqual([
      '2026-11-22T10:00:00.000000+00:00',
      '2026-11-22T10:00:00.001000+00:00',
      '2026-11-22T10:00:00.002000+00:00',
      '2026-11-22T10:00:00.000000+00:00',
    ]);
  });

  it('forget a job: its stamps start again from the clock', () => {
    const clock = new StatusClock();
    const at = new Date('2026-11-22T10:00:00Z');
    clock.stamp(4, at);
    clock.forget(4);
    expect(clock.stamp(4, at)).toBe('2026-11-22T10:00:00.000000+00:00');
  });

  it('continue after stamps read back from a spool', () => {
    const clock = new StatusClock();
    clock.observe(3, '2026-11-22T10:00:05.000009+00:00');
    expect(clock.stamp(3, new Date('2026-11-22T10:00:00Z'))).toBe('2026-11-22T10:00:05.001009+00:00');
    expect(parseMicros('2026-11-22 10:00:05.5+01:00')).toBe(Date.parse('2026-11-22T09:00:05Z') * 1000 + 500_000);
    expect(parseMicros('2026-11-22T10:00:05')).toBeNull();
  });
});

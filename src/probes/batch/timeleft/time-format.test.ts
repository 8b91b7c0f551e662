import { describe, expect, it } from 'vitest';
import { parseHmsDuration, parseSgeDuration, parseSlurmDuration } from './time-format.js';

describe('parseSlurmDuration', () => {
  it.each([
    ['30:00', 1800],
    ['0:07', 7],
    ['00:10:00', 600],
    ['1:00:00', 3600],
    ['2-00:00:00', 172800],
    ['1-02:03:04', 93784],
  ])('%s is %i s', (text, seconds) => expect(parseSlurmDuration(text)).toBe(seconds));

  it.each(['', 'UNLIMITED', '2-00', '1:2:3:4', '-5:00', 'ten:00'])('rejects %j', (text) => {
    expect(parseSlurmDuration(text)).toBeNull();
  });
});

describe('parseHmsDuration', () => {
  it('reads hours beyond 24, fractions and plain seconds', () => {
    expect(parseHmsDuration('100:00:00')).toBe(360000);
    expect(parseHmsDuration('010:30:15.50')).toBe(37815.5);
    expect(parseHmsDuration('3600')).toBe(3600);
  });
  it('rejects text', () => expect(parseHmsDuration('soon')).toBeNull());
});

describe('parseSgeDuration', () => {
  it('reads days:hours:minutes:seconds and the shorter forms', () => {
    expect(parseSgeDuration('01:02:03:04')).toBe(93784);
    expect(parseSgeDuration('00:00:23')).toBe(23);
    expect(parseSgeDuration('172800')).toBe(172800);
  });
  it('rejects text', () => expect(parseSgeDuration('forever')).toBeNull());
});

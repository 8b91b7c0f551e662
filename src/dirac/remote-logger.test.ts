import { describe, expect, it } from 'vitest';
import { formatRemoteLogLine } from './remote-logger.js';

describe("DIRAC's remote logger lines", () => {
  it('are "<time with microseconds>Z <LEVEL> [<component>] <message>", as the DIRAC pilot prints them', () => {
    const line = { timestamp: '2026-12-07T05:01:02.345Z', severity: 'INFO', message: 'pilot starting', scope: 'Pilot' };
    expect(formatRemoteLogLine(line)).toBe('2026-12-07T05:01:02.345000Z INFO [Pilot] pilot starting');
    expect(formatRemoteLogLine({ ...line, severity: 'WARN', scope: 'run-jobs' })).toBe(
      '2026-12-07T05:01:02.345000Z WARNING [run-jobs] pilot starting',
    );
    expect(formatRemoteLogLine({ ...line, severity: 'FATAL' })).toMatch(/ ERROR \[Pilot\] /);
  });

  it('keeps one record on one line', () => {
    const line = { timestamp: '2026-12-07T05:01:02.345Z', severity: 'ERROR', message: 'first\nsecond\r\nthird', scope: 'Pilot' };
    expect(formatRemoteLogLine(line)).toBe('2026-12-07T05:01:02.345000Z ERROR [Pilot] first second third');
  });
});

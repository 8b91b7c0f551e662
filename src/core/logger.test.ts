import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, safeDestination } from './logger.js';

// /dev/full answers every write with ENOSPC: a full disk without filling one.
describe('logging on a full disk (issue 16 §1b)', () => {
  it('a pilot.log that cannot be written never throws into the pilot', () => {
    const logger = createLogger({ file: '/dev/full', quiet: true });
    for (let i = 0; i < 50; i++) expect(() => logger.info({ i }, 'job 12 Done')).not.toThrow();
    expect(() => logger.child({ job: 1 }).error('still going')).not.toThrow();
    expect(() => logger.flush()).not.toThrow();
  });

  it('drops and counts what it cannot write, says so once, and records the loss when writing works again', () => {
    const notices: string[] = [];
    const full = openSync('/dev/full', 'w');
    const dest = safeDestination(full, 'pilot.log', (text) => notices.push(text));
    for (let i = 0; i < 3; i++) dest.write(`{"msg":"line ${i}"}\n`);
    closeSync(full);
    expect(dest.failures).toEqual({ dropped: 3, lastCode: 'ENOSPC' });
    expect(notices).toEqual(['pilot: cannot write pilot.log (ENOSPC): log lines are dropped and counted; the pilot goes on\n']);

    // The same counter on a descriptor that works again (space was freed): the loss is written first.
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'logger-')), 'pilot.log');
    const fd = openSync(file, 'a');
    const resumed = safeDestination(fd, 'pilot.log', (text) => notices.push(text), dest.failures);
    resumed.write('{"msg":"after"}\n');
    closeSync(fd);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; level?: number });
    expect(lines[0]).toMatchObject({ level: 40, msg: '3 log line(s) lost: pilot.log could not be written (ENOSPC)' });
    expect(lines[1]).toEqual({ msg: 'after' });
    expect(notices).toHaveLength(1);
  });
});

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readWrapperRecords, redact } from './wrapper-records.js';

const asStdin = (stream: PassThrough): NodeJS.ReadStream => stream as unknown as NodeJS.ReadStream;

describe("the pilot wrapper's log records on stdin", () => {
  it('reads what the wrapper wrote until it closed stdin, one record a line, secrets redacted', async () => {
    const stdin = new PassThrough();
    stdin.end(
      '2026-12-07T01:00:00,000001Z DEBUG    [pilotLogger] HOME=/home/pilot\n2026-12-07T01:00:00,000002Z DEBUG    [pilotLogger] BEARER_TOKEN=eyJabc\n\nINFO Launching dirac-pilot script\n',
    );
    expect(await readWrapperRecords(asStdin(stdin))).toEqual({
      lines: [
        '2026-12-07T01:00:00,000001Z DEBUG    [pilotLogger] HOME=/home/pilot',
        '2026-12-07T01:00:00,000002Z DEBUG    [pilotLogger] BEARER_TOKEN=<redacted>',
        'INFO Launching dirac-pilot script',
      ],
      truncated: false,
    });
    expect(stdin.destroyed).toBe(true);
  });

  it('never blocks the start: a stdin kept open without data ends the wait, and a flood is capped', async () => {
    const idle = new PassThrough();
    expect(await readWrapperRecords(asStdin(idle), { waitMs: 100 })).toEqual({ lines: [], truncated: true });
    const flood = new PassThrough();
    flood.write('x'.repeat(5000));
    expect((await readWrapperRecords(asStdin(flood), { maxBytes: 1000, waitMs: 5000 })).lines[0]).toHaveLength(1000);
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    expect(await readWrapperRecords(asStdin(terminal))).toEqual({ lines: [], truncated: false });
  });

  it('redacts the values of secret-looking variables only', () => {
    expect(redact('X509_USER_PROXY=/tmp/x509up_u1')).toBe('X509_USER_PROXY=<redacted>');
    expect(redact('[pilotLogger] PATH=/usr/bin')).toBe('[pilotLogger] PATH=/usr/bin');
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRMON_COLUMNS } from '../../src/payload/watchdog/resource-report.js';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { devServerPerTest, runDevPilot } from './pilot-process.js';

const start = devServerPerTest();

describe('a resource report per job (prmon formats)', () => {
  it('returns prmon.txt and prmon.json in the output sandbox and the summary in the job parameters', async () => {
    const pilot = await start({
      jobs: [
        {
          fields: {
            JobName: 'prmon',
            Executable: 'work.sh',
            StdOutput: 'std.out',
            StdError: 'std.err',
            CPUTime: 600,
            OutputSandbox: ['std.out', 'std.err', 'prmon.txt', 'prmon.json'],
          },
          // Writes 2 MB and keeps a child alive across a few watchdog samples.
          inputFiles: { 'work.sh': '#!/bin/sh\nhead -c 2000000 /dev/urandom > data.bin\nsleep 4 & wait\necho done\n' },
        },
      ],
    });
    const { server, dir } = pilot;
    const run = await runDevPilot(pilot, ['--stalled-seconds', '10']);
    expect(run.code, run.stderr).toBe(0);
    const [job] = server.jobs();
    expect(job?.status).toBe('Done');

    writeFileSync(path.join(dir, 'o.tar.zst'), server.outputSandbox(job!.id)!);
    await extractSandbox(path.join(dir, 'o.tar.zst'), path.join(dir, 'out'));
    const [header, ...rows] = readFileSync(path.join(dir, 'out', 'prmon.txt'), 'utf8')
      .trim()
      .split('\n');
    expect(header?.split('\t')).toEqual([...PRMON_COLUMNS]);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    const summary = JSON.parse(readFileSync(path.join(dir, 'out', 'prmon.json'), 'utf8'));
    expect(summary.Max.wchar).toBeGreaterThanOrEqual(2_000_000);
    expect(summary.Max.nprocs).toBeGreaterThanOrEqual(1);
    expect(summary.Max.pss).toBeGreaterThan(0);
    expect(job?.parameters).toMatchObject({ totWCHAR: summary.Max.wchar, maxPSS: summary.Max.pss });
  });
});

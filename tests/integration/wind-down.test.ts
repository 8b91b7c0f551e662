import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { devServerPerTest, runDevPilot, waitFor } from './pilot-process.js';

const start = devServerPerTest();

// An elastic payload: it processes "events" until told to stop, then writes what it did and
// exits 0. Its CPU budget at power 10 is CPUTime 40 / 10 × 1.2 = 4.8 CPU s; the wind-down
// signal comes at half of it, the kill would come at the whole of it.
const EVENT_LOOP = `import signal, sys, time
events = 0
stop = False
def wind_down(signum, frame):
    global stop
    stop = True
signal.signal(signal.SIGUSR1, wind_down)
deadline = time.time() + 60
while not stop and time.time() < deadline:
    sum(i * i for i in range(20000))
    events += 1
open('events.txt', 'w').write('events=%d stopped=%s\\n' % (events, stop))
sys.exit(0 if stop else 3)
`;

describe('wind-down before the kill (StopSig*)', () => {
  it('an elastic payload gets its signal at StopSigStartWork, stops cleanly, and ends Done with its outputs', async () => {
    const pilot = await start({
      jobs: [
        {
          fields: {
            JobName: 'elastic',
            Executable: 'run.sh',
            StdOutput: 'std.out',
            StdError: 'std.err',
            CPUTime: 40,
            StopSigRegex: 'eventloop\\.py',
            StopSigNumber: 'SIGUSR1',
            StopSigStartWork: 0.5,
            OutputSandbox: ['std.out', 'std.err', 'events.txt'],
          },
          // The shell wrapper does not match the regex: only the event loop gets the signal.
          inputFiles: { 'run.sh': '#!/bin/sh\nexec python3 eventloop.py\n', 'eventloop.py': EVENT_LOOP },
        },
      ],
    });
    const { server, dir } = pilot;
    const run = await runDevPilot(pilot, ['--cpu-power-source', 'config', '--cpu-power', '10', '--stalled-seconds', '10']);
    expect(run.code, run.stderr).toBe(0);
    const [job] = server.jobs();
    expect({ status: job?.status, minor: job?.minorStatus }).toEqual({ status: 'Done', minor: 'Execution Complete' });
    writeFileSync(path.join(dir, 'o.tar.zst'), server.outputSandbox(job!.id)!);
    await extractSandbox(path.join(dir, 'o.tar.zst'), path.join(dir, 'out'));
    expect(readFileSync(path.join(dir, 'out', 'events.txt'), 'utf8')).toMatch(/^events=[1-9]\d* stopped=True\n$/);
    expect(readFileSync(path.join(dir, 'work', 'pilot.log'), 'utf8')).toContain('wind-down signal sent to the payload');
  });

  it('a drain file winds a running payload down: it stops cleanly, uploads its outputs, ends Done, and nothing more is matched', async () => {
    const elastic = {
      fields: {
        JobName: 'elastic',
        Executable: 'run.sh',
        StdOutput: 'std.out',
        StdError: 'std.err',
        CPUTime: 100000,
        // Only the drain can send the signal: the CPU-time threshold is out of reach.
        StopSigRegex: 'eventloop\\.py',
        StopSigNumber: 'SIGUSR1',
        StopSigStartWork: 0.99,
        OutputSandbox: ['std.out', 'std.err', 'events.txt'],
      },
      inputFiles: { 'run.sh': '#!/bin/sh\nexec python3 eventloop.py\n', 'eventloop.py': EVENT_LOOP },
    };
    const pilot = await start({ jobs: [elastic, { ...elastic, fields: { ...elastic.fields, JobName: 'next' } }] });
    const { server, dir } = pilot;
    const drainFile = path.join(dir, 'drain');
    const running = runDevPilot(pilot, ['-P', '1', '--drain-file', drainFile, '--stalled-seconds', '30']);
    await waitFor('the payload to run', () => server.jobs().find((j) => j.minorStatus === 'Application'), 60_000);
    writeFileSync(drainFile, '');
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    const [first, second] = server.jobs();
    expect({ status: first?.status, minor: first?.minorStatus }).toEqual({ status: 'Done', minor: 'Execution Complete' });
    expect(second?.status, 'the drain stops matching').toBe('Waiting');
    writeFileSync(path.join(dir, 'o.tar.zst'), server.outputSandbox(first!.id)!);
    await extractSandbox(path.join(dir, 'o.tar.zst'), path.join(dir, 'out'));
    expect(readFileSync(path.join(dir, 'out', 'events.txt'), 'utf8')).toMatch(/^events=[1-9]\d* stopped=True\n$/);
    const log = readFileSync(path.join(dir, 'work', 'pilot.log'), 'utf8');
    expect(log).toContain(`winding payloads down: drain file ${drainFile} exists`);
    expect(log).toContain('wind-down signal sent to the payload');
  });
});

import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { demoJobs } from '../../src/devserver/demo-jobs.js';
import { extractSandbox } from '../../src/payload/sandbox/index.js';
import { buildStandinImage, STANDIN, standinUnavailable } from '../payload/standin-image.js';
import { devPilotArgs, devPilotFiles, runPilot, tempDir } from './pilot-process.js';

const unavailable = standinUnavailable();
if (unavailable) console.warn(`[apptainer-pilot] skipped: ${unavailable}`);

let server: DevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * The whole pilot with the Apptainer runner. Apptainer is not in Debian 12: the stand-in checks
 * the command line against Apptainer's documented `exec` options and runs the payload in real
 * namespaces with bubblewrap (docs/payload.md).
 */
describe.skipIf(unavailable !== null)('pilot run with the Apptainer runner (stand-in)', () => {
  it('runs the demo jobs in containers to the same final states, with the container environment whitelist', async () => {
    const jobs = [
      ...demoJobs(),
      {
        fields: { JobName: 'inside', Executable: 'inside.sh', StdOutput: 'std.out', StdError: 'std.err', OutputSandbox: ['std.out'] },
        inputFiles: {
          'inside.sh': '#!/bin/sh\necho "home=$HOME tmp=$TMPDIR pid1=$(cat /proc/1/comm)"\nenv | cut -d= -f1 | sort | tr "\\n" " "\n',
        },
      },
    ];
    server = await startDevServer({ jobs });
    const { dir, credentials, work } = await devPilotFiles(server, 'apptainer-pilot-');
    const image = buildStandinImage(path.join(dir, 'image'));
    const args = devPilotArgs(server, credentials, work, ['-P', '2', '--apptainer', STANDIN, '--container-image', image]).map(
      (a, i, all) => (all[i - 1] === '--runner' ? 'apptainer' : a),
    );
    const run = await runPilot(args, { env: { PATH: process.env.PATH, DIRACX_SECRET_NOT_FOR_PAYLOADS: 'x' } });
    expect(run.code, run.stderr).toBe(0);

    const byName = new Map(server.jobs().map((j) => [String(j.jdl.match(/JobName = "([^"]+)"/)?.[1]), j]));
    expect(byName.get('exit-code-3')!.status).toBe('Failed');
    for (const name of ['hello-world', 'checksum-input', 'multi-processor', 'sleep-2s', 'inside'])
      expect(byName.get(name)!.status, name).toBe('Done');

    const out = tempDir();
    writeFileSync(path.join(out, 'o.tar.zst'), server.outputSandbox(byName.get('inside')!.id)!);
    await extractSandbox(path.join(out, 'o.tar.zst'), path.join(out, 'x'));
    const stdout = readFileSync(path.join(out, 'x', 'std.out'), 'utf8');
    expect(stdout).toMatch(/^home=\/home tmp=\/tmp /);
    expect(stdout).not.toMatch(/DIRACX_|PATH_NOT|SECRET/);
    expect(stdout).toMatch(/\bDIRACJOBID\b/);
  });
});

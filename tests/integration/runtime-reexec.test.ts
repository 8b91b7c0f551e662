/**
 * `pilot run` re-executes itself in place under its memory settings (runtime-reexec.ts): the
 * process the caller started keeps its pid and runs with them, while the payloads it starts see
 * neither the settings nor the marker. Needs the built bundle (npm test builds it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { devPilotFiles, runDevPilot, runPilot, tempDir, waitFor } from './pilot-process.js';
import { RUN_RUNTIME, RUNTIME_MARKER, RUNTIME_OPT_OUT } from '../../src/pilot/runtime-reexec.js';

let server: DevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
const settingEntries = Object.entries(RUN_RUNTIME.env).map(([name, value]) => `${name}=${value}`);

async function runOneJob(env: NodeJS.ProcessEnv) {
  server = await startDevServer({
    jobs: [
      {
        fields: { JobName: 'env', Executable: 'env.sh', StdOutput: 'std.out', StdError: 'std.err', OutputSandbox: ['std.out', 'std.err'] },
        inputFiles: { 'env.sh': '#!/bin/sh\nenv\nsleep 2\n' },
      },
    ],
  });
  const s = server;
  const files = await devPilotFiles(s, 'pilot-runtime-');
  const { dir } = files;
  let pid = 0;
  const pilot = runDevPilot({ server: s, ...files }, [], { env, onSpawn: (p) => (pid = p) });
  await waitFor('the job to run its application', () => s.jobs()[0]?.minorStatus === 'Application');
  // What the process the test started runs with now (its exec-time environment and command line).
  const pilotEnviron = environOf(pid);
  const pilotCmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
  const run = await pilot;
  expect(run.code, run.stderr).toBe(0);
  const archive = path.join(dir, 'out.tar.zst');
  writeFileSync(archive, s.outputSandbox(s.jobs()[0]!.id)!);
  await extractSandbox(archive, path.join(dir, 'out'));
  const payloadEnv = readFileSync(path.join(dir, 'out', 'std.out'), 'utf8').split('\n');
  return { pilotEnviron, pilotCmdline, payloadEnv, stderr: run.stderr };
}

describe('pilot run: its own runtime settings', () => {
  it('runs as the same pid under the settings; payloads inherit neither them nor the marker', async () => {
    const { pilotEnviron, pilotCmdline, payloadEnv, stderr } = await runOneJob({ PATH: process.env.PATH ?? '/usr/bin:/bin' });
    for (const entry of settingEntries) expect(pilotEnviron).toContain(entry);
    if (RUN_RUNTIME.nodeOptions.length > 0) expect(pilotEnviron).toContain(`NODE_OPTIONS=${RUN_RUNTIME.nodeOptions.join(' ')}`);
    expect(pilotEnviron.some((e) => e.startsWith(`${RUNTIME_MARKER}=`))).toBe(true);
    expect(pilotCmdline).toContain('run');
    expect(
      payloadEnv.filter((e) => e.startsWith('MALLOC_') || e.startsWith(`${RUNTIME_MARKER}=`) || e.startsWith('NODE_OPTIONS=')),
    ).toEqual([]);
    expect(payloadEnv.some((e) => e.startsWith('DIRACJOBID='))).toBe(true);
    expect(stderr).not.toMatch(/warning/i);
  });

  it(`keeps the runtime as started with ${RUNTIME_OPT_OUT}`, async () => {
    const { pilotEnviron } = await runOneJob({ PATH: process.env.PATH ?? '/usr/bin:/bin', [RUNTIME_OPT_OUT]: '1' });
    expect(pilotEnviron.filter((e) => e.startsWith('MALLOC_') || e.startsWith(`${RUNTIME_MARKER}=`))).toEqual([]);
  });
});

describe('pilot exec: the same runtime (it supervises staged jobs on edge compute nodes)', () => {
  it('runs its job under the settings, and the payload inherits neither them nor the marker', async () => {
    const dir = tempDir('pilot-runtime-exec-');
    const job = path.join(dir, 'job.json');
    // The payload records its own environment, then the one its parent (the pilot) runs with.
    writeFileSync(
      job,
      JSON.stringify({ Executable: '/bin/sh', Arguments: '-c \'env; echo ==; tr "\\\\0" "\\\\n" < /proc/$PPID/environ\'', JobName: 'env' }),
    );
    const run = await runPilot(['exec', '--job', job, '--runner', 'direct', '-w', path.join(dir, 'work')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PILOT_NO_SECRET_HIDING: '1' },
      cwd: dir,
    });
    expect(run.code, run.stderr).toBe(0);
    const [payloadEnv = '', parentEnv = ''] = readFileSync(path.join(dir, 'work', 'jobs', '0', 'std.out'), 'utf8').split('==\n');
    expect(
      payloadEnv.split('\n').filter((e) => e.startsWith('MALLOC_') || e.startsWith(`${RUNTIME_MARKER}=`) || e.startsWith('NODE_OPTIONS=')),
    ).toEqual([]);
    // The parent is taskset or the pilot; either way its exec-time environment had the settings.
    for (const entry of settingEntries) expect(parentEnv.split('\n')).toContain(entry);
  });
});

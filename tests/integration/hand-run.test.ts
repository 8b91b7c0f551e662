import { spawnSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { PILOT_BUNDLE, ROOT, runPilot, tempDir } from './pilot-process.js';

/** Issue 16 §6: what a site admin meets running the pilot by hand. */
let server: DevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface CheckJson {
  checks: { name: string; status: string; detail: string }[];
}
const checkOf = (stdout: string, name: string) => (JSON.parse(stdout) as CheckJson).checks.find((c) => c.name === name)!;

describe('pilot check by hand', () => {
  it('reads the server clock without credentials (the Date of an unauthenticated reply)', async () => {
    server = await startDevServer();
    const run = await runPilot(
      ['check', '--json', '--diracx-url', server.url, '-w', tempDir(), '--cpu-power-source', 'config', '--cpu-power', '10'],
      { timeoutMs: 120_000 },
    );
    expect(checkOf(run.stdout, 'clock'), run.stderr).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/within \d+ s of the server/),
    });
    expect(server.requests.map((r) => r.path)).toContain('/.well-known/openid-configuration');
  });

  it('evaluates time left without -T, from the batch system (here MJF), with the default CPU power', async () => {
    const features = tempDir('mjf-');
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(path.join(features, 'wall_limit_secs'), '600\n');
    writeFileSync(path.join(features, 'cpu_limit_secs'), '600\n');
    writeFileSync(path.join(features, 'jobstart_secs'), `${now}\n`);
    const run = await runPilot(['check', '--json', '-w', tempDir()], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', JOBFEATURES: features },
      timeoutMs: 120_000,
    });
    const timeLeft = checkOf(run.stdout, 'time-left');
    expect(timeLeft.status, run.stderr).not.toBe('skip');
    expect(timeLeft.detail).toMatch(/units of CPU work left/);
  });

  it('on a node with no batch system and no -T, warns that a run would take no job', async () => {
    const run = await runPilot(['check', '--json', '-w', tempDir(), '--cpu-power-source', 'config', '--cpu-power', '10'], {
      timeoutMs: 120_000,
    });
    expect(checkOf(run.stdout, 'time-left')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/no batch system found and no -T.*would take no job/),
    });
  });

  it('checks a missing work directory where run would create it, without creating it', async () => {
    const parent = tempDir();
    const run = await runPilot(
      ['check', '--json', '-w', path.join(parent, 'not-yet'), '--cpu-power-source', 'config', '--cpu-power', '10'],
      { timeoutMs: 120_000 },
    );
    expect(checkOf(run.stdout, 'workdir')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/does not exist yet \(run and exec create it\)/),
    });
  });
});

describe('output that cannot be written', () => {
  for (const args of [['version'], ['probe'], ['check', '--cpu-power-source', 'config', '--cpu-power', '10', '-T', '86400']]) {
    it(`pilot ${args[0]} > /dev/full exits non-zero with one line`, () => {
      const dir = tempDir();
      mkdirSync(path.join(dir, 'w'));
      const full = openSync('/dev/full', 'w');
      try {
        const result = spawnSync(process.execPath, [PILOT_BUNDLE, ...args, ...(args[0] === 'check' ? ['-w', path.join(dir, 'w')] : [])], {
          stdio: ['ignore', full, 'pipe'],
          encoding: 'utf8',
          timeout: 120_000,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        });
        expect(result.status, result.stderr).not.toBe(0);
        expect(result.stderr).toMatch(/could not write the output to stdout \(ENOSPC\)/);
      } finally {
        closeSync(full);
      }
    });
  }
});

describe('npm run demo -- --binary with a missing file', () => {
  it('says so in one line and starts no dev server', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'demo.mjs'), '--binary', '/nonexistent/pilot-linux-x64'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^demo: --binary \/nonexistent\/pilot-linux-x64: no such file/),
    ]);
    expect(result.stdout).not.toMatch(/127\.0\.0\.1/);
  });
});

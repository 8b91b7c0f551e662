/**
 * The built pilot against a hostile job file and hostile names (issue 15), end to end:
 * `pilot exec` with a StdOutput outside the job directory (the escape the runner had), and
 * `pilot run -a constructor` (inherited properties taken for pilot.json sections).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/exit-codes.js';
import { runPilot, tempDir } from './pilot-process.js';

describe('pilot exec: a job file cannot make the pilot write or read outside the job directory', () => {
  it('StdOutput = "../../creds.json" fails the job; the file beside the work directory is untouched', async () => {
    const dir = tempDir();
    const creds = path.join(dir, 'creds.json');
    writeFileSync(creds, '{"access_token":"SECRET"}\n', { mode: 0o600 });
    const job = path.join(dir, 'job.jdl');
    writeFileSync(job, '[Executable = "/bin/sh"; Arguments = "-c \'echo APPENDED\'"; StdOutput = "../../creds.json";]');
    const run = await runPilot(['exec', '--job', job, '--work-dir', path.join(dir, 'w'), '--runner', 'direct']);
    expect(run.code, run.stderr).toBe(ExitCode.COMMAND_FAILED);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { status: string; minorStatus: string };
    expect(result).toMatchObject({
      status: 'Failed',
      minorStatus: 'Job Path Refused: StdOutput "../../creds.json" leaves the job directory ("..")',
    });
    expect(readFileSync(creds, 'utf8')).toBe('{"access_token":"SECRET"}\n');
  });
});

describe('pilot run: names from the command line select only what pilot.json really holds', () => {
  for (const name of ['constructor', '__proto__', 'toString']) {
    it(`-a ${name} is a grid CE type like any other, not an internal error`, async () => {
      const dir = tempDir();
      const file = path.join(dir, 'pilot.json');
      writeFileSync(file, JSON.stringify({ Defaults: { Pilot: { Commands: { Defaults: 'CheckWorkerNode' } } } }));
      const run = await runPilot(['run', '-F', file, '-a', name, '-X', 'no-such-command', '--work-dir', path.join(dir, 'w')]);
      expect(run.stderr).not.toMatch(/internal error/);
      expect(run.code, run.stderr).toBe(ExitCode.UNKNOWN_COMMAND);
    });
  }
});

/** `pilot exec` runs a dirac-jobexec job in the configured DIRAC environment (src/payload/dirac-payload.ts). Needs the bundle. */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPilot, tempDir } from './pilot-process.js';

describe('pilot exec with a dirac-jobexec job', () => {
  it('runs it in the configured DIRAC environment, and fails it clearly without one', async () => {
    const dir = tempDir('dirac-jobexec-');
    const bin = path.join(dir, 'dirac', 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'dirac-jobexec'), '#!/bin/sh\necho "workflow: $*" > workflow.log\n');
    chmodSync(path.join(bin, 'dirac-jobexec'), 0o755);
    const envScript = path.join(dir, 'dirac', 'bashrc');
    writeFileSync(envScript, `export PATH="${bin}:$PATH"\n`);
    const jdl = path.join(dir, 'job.jdl');
    writeFileSync(jdl, '[Executable = "$DIRACROOT/scripts/dirac-jobexec"; Arguments = "jobDescription.xml -o LogLevel=INFO";]');

    const ok = await runPilot([
      'exec',
      '--job',
      jdl,
      '--work-dir',
      path.join(dir, 'w1'),
      '--runner',
      'direct',
      '--dirac-environment',
      envScript,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const result = JSON.parse(ok.stdout);
    expect(result.status).toBe('Done');
    expect(readFileSync(path.join(result.jobDir, 'workflow.log'), 'utf8')).toBe('workflow: jobDescription.xml -o LogLevel=INFO\n');

    const missing = await runPilot(['exec', '--job', jdl, '--work-dir', path.join(dir, 'w2'), '--runner', 'direct']);
    expect(JSON.parse(missing.stdout)).toMatchObject({
      status: 'Failed',
      minorStatus: 'DIRAC environment not configured for dirac-jobexec',
    });
  });
});

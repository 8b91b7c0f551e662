import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiracEnvironmentMissing, payloadLaunch } from './dirac-payload.js';
import { runPilot, tempDir } from '../../tests/integration/pilot-process.js';

const job = (executable: string) => ({ executable, arguments: ['jobDescription.xml', '-o', 'LogLevel=INFO'] });

describe('payloadLaunch', () => {
  it('starts plain executables as they are', () => {
    expect(payloadLaunch(job('run.sh'), {}, 'direct')).toEqual({ argv: ['run.sh', 'jobDescription.xml', '-o', 'LogLevel=INFO'], image: null });
  });

  it('runs dirac-jobexec in the DIRAC image with Apptainer, or after sourcing the DIRAC environment', () => {
    expect(payloadLaunch(job('$DIRACROOT/scripts/dirac-jobexec'), { image: '/cvmfs/dirac.egi.eu/img' }, 'apptainer')).toEqual({
      argv: ['dirac-jobexec', 'jobDescription.xml', '-o', 'LogLevel=INFO'], image: '/cvmfs/dirac.egi.eu/img',
    });
    expect(payloadLaunch(job('dirac-jobexec'), { image: '/img', environment: '/cvmfs/x/bashrc' }, 'direct').argv).toEqual([
      '/bin/sh', '-c', '. "$0" && exec "$@"', '/cvmfs/x/bashrc', 'dirac-jobexec', 'jobDescription.xml', '-o', 'LogLevel=INFO',
    ]);
  });

  it('refuses dirac-jobexec without a DIRAC environment, saying what to configure', () => {
    expect(() => payloadLaunch(job('dirac-jobexec'), {}, 'direct')).toThrow(DiracEnvironmentMissing);
    expect(() => payloadLaunch(job('dirac-jobexec'), { image: '/img' }, 'direct')).toThrow(/--dirac-environment/);
  });
});

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

    const ok = await runPilot(['exec', '--job', jdl, '--work-dir', path.join(dir, 'w1'), '--runner', 'direct', '--dirac-environment', envScript]);
    expect(ok.code, ok.stderr).toBe(0);
    const result = JSON.parse(ok.stdout);
    expect(result.status).toBe('Done');
    expect(readFileSync(path.join(result.jobDir, 'workflow.log'), 'utf8')).toBe('workflow: jobDescription.xml -o LogLevel=INFO\n');

    const missing = await runPilot(['exec', '--job', jdl, '--work-dir', path.join(dir, 'w2'), '--runner', 'direct']);
    expect(JSON.parse(missing.stdout)).toMatchObject({ status: 'Failed', minorStatus: 'DIRAC environment not configured for dirac-jobexec' });
  });
});

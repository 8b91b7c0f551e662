import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../integration/pilot-process.js';

/**
 * .ci/stop-slurm.sh stops what .ci/start-slurm.sh started, and only that: stand-in daemons
 * (sleep processes behind the daemons' pid files) in a private run directory, so that a real
 * Slurm on this machine is never touched.
 */
describe('CI: stop what the run started', () => {
  it('stops the daemons listed as started, leaves the others alone, and forgets the list', async () => {
    const runDir = tempDir('ci-run-');
    mkdirSync(path.join(runDir, 'munge'));
    const started = path.join(runDir, 'started');
    const daemons = { slurmd: 'slurmd.pid', slurmctld: 'slurmctld.pid', munged: 'munge/munged.pid' };
    const children = Object.fromEntries(
      Object.entries(daemons).map(([name, pidfile]) => {
        const child = spawn('sleep', ['300'], { stdio: 'ignore' });
        writeFileSync(path.join(runDir, pidfile), `${child.pid}\n`);
        return [name, child];
      }),
    );
    const exited = (name: string) => new Promise<void>((resolve) => children[name]!.once('exit', () => resolve()));
    const gone = [exited('slurmd'), exited('munged')];
    // slurmctld was already running before the CI run: not in the list, so not stopped.
    writeFileSync(started, 'munged\nslurmd\n');
    try {
      const out = execFileSync(path.join(ROOT, '.ci', 'stop-slurm.sh'), {
        env: { ...process.env, SLURM_STARTED_FILE: started, SLURM_RUN_DIR: runDir },
        encoding: 'utf8',
        timeout: 30_000,
      });
      await Promise.all(gone);
      expect(out).toMatch(/stopped slurmd/);
      expect(out).toMatch(/stopped munged/);
      expect(children.slurmctld!.exitCode).toBeNull();
      expect(existsSync(started)).toBe(false);
      // Idempotent: nothing listed, nothing done.
      execFileSync(path.join(ROOT, '.ci', 'stop-slurm.sh'), {
        env: { ...process.env, SLURM_STARTED_FILE: started, SLURM_RUN_DIR: runDir },
        timeout: 30_000,
      });
    } finally {
      for (const child of Object.values(children)) child.kill('SIGKILL');
    }
    expect(readFileSync(path.join(runDir, 'slurmctld.pid'), 'utf8')).toMatch(/^\d+\n$/);
  });

  it('the CI entry point traps the stop, and apt waits for the dpkg lock (bounded)', () => {
    expect(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/trap '\.ci\/stop-slurm\.sh' EXIT/);
    const install = readFileSync(path.join(ROOT, '.ci', 'install-system.sh'), 'utf8');
    expect(install.match(/-o DPkg::Lock::Timeout="\$LOCK_WAIT"/g)).toHaveLength(2);
  });
});

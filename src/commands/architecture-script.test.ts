import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runArchitectureScript } from './architecture-script.js';

function cvmfsWith(name: string, body: string, sub = ''): string {
  const root = mkdtempSync(path.join(tmpdir(), 'arch-script-'));
  mkdirSync(path.join(root, sub), { recursive: true });
  const file = path.join(root, sub, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return root;
}

const ENV = { PATH: '/usr/bin:/bin' };

describe('--architectureScript', () => {
  it('finds the script under a CVMFS location (or its bin/) and takes its last output line as the Platform', async () => {
    const root = cvmfsWith('lhcb-platform', 'echo "checking the CPU..."; echo x86_64-el9.avx2+fma; echo', 'bin');
    const result = await runArchitectureScript('lhcb-platform', ['/nonexistent', root], ENV);
    expect(result).toEqual({ platform: 'x86_64-el9.avx2+fma', script: path.join(root, 'bin', 'lhcb-platform') });
    // Arguments after the name are passed on, as DIRAC's option allows.
    const echo = cvmfsWith('say', 'echo "$1"');
    expect((await runArchitectureScript('say x86_64-el8', [echo], ENV)).platform).toBe('x86_64-el8');
  });

  it('keeps the native platform, saying why, when the script is missing, fails, hangs or prints nonsense', async () => {
    expect((await runArchitectureScript('no-such-platform-script', ['/nonexistent'], ENV)).problem).toMatch(
      /not found under \/nonexistent or on PATH/,
    );
    const failing = cvmfsWith('arch', 'echo broken >&2; exit 3');
    expect(await runArchitectureScript('arch', [failing], ENV)).toMatchObject({
      platform: null,
      problem: expect.stringMatching(/failed \(3\): broken/),
    });
    const hanging = cvmfsWith('arch', 'exec sleep 30');
    expect((await runArchitectureScript('arch', [hanging], ENV, 300)).problem).toMatch(/did not finish within 0.3 s/);
    const silly = cvmfsWith('arch', 'echo "two words"');
    expect((await runArchitectureScript('arch', [silly], ENV)).problem).toMatch(/not a platform name/);
  });
});

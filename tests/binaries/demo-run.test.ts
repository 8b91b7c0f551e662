import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aarch64Sysroot, buildExecutables, executablePath, qemuAarch64, repoRoot, toolchainMissing } from './build-executables.js';
import { startDevServerProcess } from './devserver-process.js';

const FINAL = new Set(['Done', 'Failed', 'Killed', 'Completed']);

function skipReason(): string | null {
  if (!existsSync(path.join(repoRoot, 'src/devserver/main.ts'))) return 'no dev server in this checkout';
  return toolchainMissing();
}
const reason = skipReason();
if (reason) console.warn(`tests/binaries/demo-run.test.ts skipped: ${reason}`);

describe.skipIf(reason)('the executables run the demo jobs against the dev server', () => {
  let scratch = '';
  let installDir = '';
  beforeAll(async () => {
    await buildExecutables();
    if (!existsSync(path.join(repoRoot, 'dist/devserver.cjs'))) {
      await execa(path.join(repoRoot, 'node_modules/.bin/node'), ['scripts/build.mjs'], { cwd: repoRoot, timeout: 120_000 });
    }
    scratch = mkdtempSync(path.join(tmpdir(), 'pilot-demo-'));
    installDir = path.join(scratch, 'install');
    mkdirSync(installDir);
    for (const arch of ['x64', 'arm64'] as const) cpSync(executablePath(arch), path.join(installDir, `pilot-linux-${arch}`));
    execaSync('chmod', ['-R', 'a-w', installDir], { timeout: 10_000 });
  }, 900_000);

  afterAll(() => {
    if (!scratch) return;
    execaSync('chmod', ['-R', 'u+w', scratch], { timeout: 10_000 });
    rmSync(scratch, { recursive: true, force: true });
  });

  it.each(['x64', 'arm64'] as const)(
    'pilot-linux-%s run: every demo job reaches a final state',
    async (arch) => {
      const work = path.join(scratch, arch);
      mkdirSync(work);
      const server = await startDevServerProcess(work);
      try {
        const exe = path.join(installDir, `pilot-linux-${arch}`);
        const args = [
          'run',
          '--diracx-url',
          server.url,
          '--ca-path',
          server.caFile,
          '--credentials',
          server.credentialsFile,
          '--work-dir',
          path.join(work, 'pilot'),
          '--wnVO',
          'demo',
          '-n',
          'DIRAC.Demo.local',
          '-N',
          'demo-ce.local',
          '-Q',
          'default',
          '-y',
          'Pool',
          '-P',
          '4',
          '-T',
          '86400',
          '--cpu-power-source',
          'config',
          '--cpu-power',
          '10',
          '--PollingTime',
          '1',
          '--StopAfterFailedMatches',
          '2',
          '--heartbeat',
          '2',
        ];
        const [file, argv] = arch === 'x64' ? [exe, args] : [qemuAarch64, ['-L', aarch64Sysroot, exe, ...args]];
        // An empty environment, as a batch slot may give: no Node, no PATH, no HOME.
        const pilot = await execa(file, argv, { cwd: installDir, env: {}, extendEnv: false, reject: false, timeout: 400_000 });
        const jobs = await server.jobs();
        expect(jobs.length).toBeGreaterThan(0);
        expect(
          jobs.filter((job) => !FINAL.has(job.status)),
          pilot.stderr.slice(-3000),
        ).toEqual([]);
        expect(pilot.exitCode, pilot.stderr.slice(-3000)).toBe(0);
        expect(readdirSync(installDir).sort()).toEqual(['pilot-linux-arm64', 'pilot-linux-x64']);
      } finally {
        await server.stop();
      }
    },
    600_000,
  );
});

import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Built the way scripts/build.mjs bundles it (CJS for Node 22), so the test runs what the demo runs. */
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'devserver-cli-'));
  bundle = path.join(dir, 'devserver.cjs');
  await build({
    entryPoints: ['src/devserver/main.ts'],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    logLevel: 'error',
    define: { 'import.meta.url': '__import_meta_url' },
    banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  });
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('devserver CLI', () => {
  it('prints one JSON line when ready, serves the demo jobs over TLS, and exits 0 on SIGTERM', async () => {
    const credentials = path.join(dir, 'creds.json');
    const child = spawn(process.execPath, [bundle, '--demo', '--tls-dir', path.join(dir, 'tls'), '--credentials-out', credentials], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const ready = JSON.parse(line) as { url: string; credentialsFile: string; caFile: string; caDir: string };
      expect(ready.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.credentialsFile).toBe(credentials);
      expect((await stat(credentials)).mode & 0o777).toBe(0o600);
      expect(Object.keys(JSON.parse(readFileSync(credentials, 'utf8')) as object).sort()).toEqual([
        'access_token',
        'expires_on',
        'refresh_token',
      ]);
      const dispatcher = new Agent({ connect: { ca: readFileSync(ready.caFile) } });
      const r = await fetch(`${ready.url}/dev/jobs`, { dispatcher });
      const { jobs } = (await r.json()) as { jobs: { status: string; history: unknown[] }[] };
      await dispatcher.close();
      expect(jobs.length).toBe(5);
      expect(jobs.every((j) => j.status === 'Waiting' && j.history.length === 2)).toBe(true);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 60_000);

  it('refuses an unknown flag with exit code 2 and a one-line reason', async () => {
    const result = await promisify(execFile)(process.execPath, [bundle, '--bogus']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((result as { code: number }).code).toBe(2);
    expect((result as { stderr: string }).stderr.split('\n')[0]).toMatch(/^devserver: .*bogus/);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, fetch } from 'undici';
import { z } from 'zod';
import { repoRoot } from './build-executables.js';

const readyLine = z.object({ url: z.string().url(), credentialsFile: z.string(), caFile: z.string() });

export interface DevServerProcess extends z.infer<typeof readyLine> {
  child: ChildProcess;
  stop(): Promise<void>;
  /** GET /dev/jobs: every job with its status history. */
  jobs(): Promise<Array<{ status: string; history: unknown[] }>>;
}

/** `node dist/devserver.cjs --demo` with a throw-away CA under workDir, as `npm run demo` starts it. */
export async function startDevServerProcess(workDir: string): Promise<DevServerProcess> {
  const child = spawn(
    path.join(repoRoot, 'node_modules/.bin/node'),
    [
      path.join(repoRoot, 'dist/devserver.cjs'),
      '--demo',
      '--tls-dir',
      path.join(workDir, 'tls'),
      '--credentials-out',
      path.join(workDir, 'pilot-credentials.json'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = await new Promise<z.infer<typeof readyLine>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dev server printed no ready line within 30 s')), 30_000);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(readyLine.parse(JSON.parse(line)));
      } catch {
        reject(new Error(`dev server's first line is not its ready line: ${line.slice(0, 200)}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`dev server exited with ${code} before it was ready`)));
  }).catch((error) => {
    child.kill('SIGKILL');
    throw error;
  });
  const dispatcher = new Agent({ connect: { ca: readFileSync(ready.caFile) } });
  return {
    ...ready,
    child,
    async jobs() {
      const response = await fetch(`${ready.url}/dev/jobs`, { dispatcher });
      const body = (await response.json()) as { jobs?: unknown } | unknown[];
      return (Array.isArray(body) ? body : (body as { jobs: unknown[] }).jobs) as Array<{ status: string; history: unknown[] }>;
    },
    async stop() {
      await dispatcher.close();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

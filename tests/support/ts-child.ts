/**
 * Runs a snippet of ES module code that imports the project's TypeScript sources in a child Node
 * process, stopped after `timeoutMs`. For code under test that could block its thread for good (a
 * parser or matcher a job's input makes backtrack): in the test's own process no timer would fire,
 * so the bound is for a hang, never a timing. Node's type stripping runs the sources; a resolve
 * hook maps the sources' `./x.js` imports to `./x.ts`, as the bundler does.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const RESOLVE_TS = `export async function resolve(s, c, next) {
  try { return await next(s, c); } catch (e) { if (s.endsWith('.js')) return next(s.slice(0, -3) + '.ts', c); throw e; }
}`;

/** `source`: a path relative to the repository (`src/data/pool-xml.ts`); `body` uses it as `m`. */
export function runTsInChild(
  source: string,
  body: string,
  timeoutMs: number,
): { signal: NodeJS.Signals | null; status: number | null; stdout: string; stderr: string } {
  const script = [
    "import { register } from 'node:module';",
    `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(RESOLVE_TS)}));`,
    `const m = await import(${JSON.stringify(path.join(REPO_ROOT, source))});`,
    body,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--experimental-transform-types', '--no-warnings', '--input-type=module', '-e', script], {
    timeout: timeoutMs,
    encoding: 'utf8',
  });
  return { signal: child.signal, status: child.status, stdout: child.stdout, stderr: child.stderr };
}

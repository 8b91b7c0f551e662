// Shared by bench/per-job.bench.mjs and bench/supervision.bench.mjs (not a bench itself: run.mjs
// only picks *.bench.mjs): the dev server bundled from src/ with esbuild, the built pilot run as
// a process against it, and readers of /proc for a process's own CPU time and RSS.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round, spreadOf } from './stats.mjs';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const node = path.join(repo, 'node_modules', '.bin', 'node');
export const pilotBundle = path.join(repo, 'dist', 'pilot.cjs');

export { median, round, spreadOf };

let devServerModule;
/** `startDevServer` from src/devserver, bundled once per bench process. */
export function loadDevServer() {
  if (devServerModule) return devServerModule;
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-devserver-'));
  const out = path.join(dir, 'devserver-lib.cjs');
  const esbuild = path.join(repo, 'node_modules', '.bin', 'esbuild');
  const built = spawnSync(
    esbuild,
    [
      path.join(repo, 'src', 'devserver', 'index.ts'),
      '--bundle',
      '--platform=node',
      '--format=cjs',
      '--target=node22',
      `--outfile=${out}`,
      '--log-level=warning',
    ],
    { encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(`esbuild failed: ${built.stderr}`);
  try {
    devServerModule = createRequire(import.meta.url)(out);
  } finally {
    // Loaded: the bundle is no longer needed on disk.
    rmSync(dir, { recursive: true, force: true });
  }
  return devServerModule;
}

/** CPU seconds (utime + stime) of the process itself, children excluded; null once it is gone. */
export function ownCpuSeconds(pid, ticksPerSecond = 100) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}

/** VmRSS in MB; null once the process is gone. */
export function rssMB(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs the pilot against `server` until it stops (no more matches), with `processors` slots.
 * `onStart(pid)` is called once it runs. `env` adds to its environment (PATH only otherwise) and
 * `nodeArgs` go to node before the bundle, for comparisons of runtime settings. Resolves with the wall time in ms; rejects on a non-zero
 * exit or after `timeoutMs`.
 */
export async function runPilotAgainst(server, { processors, extra = [], timeoutMs = 300_000, onStart, env = {}, nodeArgs = [] } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-pilot-'));
  const credentials = path.join(dir, 'credentials.json');
  await server.writePilotCredentials(credentials);
  const args = [
    ...nodeArgs,
    pilotBundle,
    'run',
    '--diracx-url',
    server.url,
    '--credentials',
    credentials,
    '--work-dir',
    path.join(dir, 'work'),
    '--wnVO',
    'demo',
    '-n',
    'DIRAC.Bench.local',
    '-N',
    'bench-ce.local',
    '-Q',
    'default',
    '-y',
    'Pool',
    '-T',
    '864000',
    '--cpu-power-source',
    'config',
    '--cpu-power',
    '10',
    '--runner',
    'direct',
    '-P',
    String(processors),
    '--PollingTime',
    '0.1',
    '--StopAfterFailedMatches',
    '1',
    '-M',
    '100000',
    ...extra,
  ];
  const started = process.hrtime.bigint();
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(node, args, {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('spawn', () => onStart?.(child.pid));
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (code === 0) resolve(ms);
        else
          reject(
            new Error(
              `pilot exited ${code ?? signal}: ${
                stderr
                  .split('\n')
                  .filter((l) => l.startsWith('pilot:'))
                  .join(' ') || stderr.slice(-500)
              }`,
            ),
          );
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `file args` `count` times, `concurrency` at a time, with child_process; wall time in ms. */
export async function runDirect(file, args, count, concurrency) {
  const started = process.hrtime.bigint();
  let next = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const child = spawn(file, args, { stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
    });
  const worker = async () => {
    while (next < count) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * Writes `charts` as ASCII bar charts under one `title` to `file`, for bench/run.mjs to include in
 * results.md. Each chart: { caption, unit, rows: [{ label, values: { series: number } }] }.
 */
export function writePlot(file, title, intro, charts) {
  const width = 50;
  const lines = [`## ${title}`, '', intro, ''];
  for (const { caption, unit, rows } of charts) {
    const series = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
    const max = Math.max(...rows.flatMap((r) => Object.values(r.values)), 1e-9);
    const labelWidth = Math.max(...rows.map((r) => r.label.length));
    const seriesWidth = Math.max(...series.map((s) => s.length));
    lines.push(caption, '', '```');
    for (const row of rows) {
      for (const name of series) {
        const v = row.values[name];
        if (v === undefined) continue;
        const bar = '#'.repeat(Math.round((v / max) * width));
        lines.push(`${row.label.padStart(labelWidth)}  ${name.padEnd(seriesWidth)}  ${bar}${bar ? ' ' : ''}${round(v)} ${unit}`);
      }
    }
    lines.push('```', '');
  }
  writeFileSync(file, lines.join('\n'));
}

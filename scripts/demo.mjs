#!/usr/bin/env node
// The README's first command: a DiracX-compatible dev server on loopback (TLS, generated CA) with
// demo jobs, and the pilot running them to a final state. Prints what happened and exits with the
// pilot's exit code. Usage: npm run demo [-- --binary dist/bin/pilot-linux-x64] [-- --keep]
// [-- --backend dirac]: the same against the legacy DIRAC v9 dev server (DIPS and HTTPS, X.509 proxies).
// [-- --backend dirac+diracx]: DIRAC v9 with DiracX enabled for the VO: matched through DIRAC's
// Matcher, statuses and heartbeats to a DiracX dev server, with the DIRACX token of the proxy.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const binaryIndex = args.indexOf('--binary');
const binary = binaryIndex === -1 ? null : path.resolve(args[binaryIndex + 1] ?? '');
// Before anything starts: a missing executable is one line, not a spawn error with a server left behind.
if (binary !== null && (args[binaryIndex + 1] === undefined || !existsSync(binary))) {
  process.stderr.write(`demo: --binary ${args[binaryIndex + 1] ?? ''}: no such file (build it with npm run build:binaries)\n`);
  process.exit(2);
}
const keep = args.includes('--keep');
const backendIndex = args.indexOf('--backend');
const backendName = backendIndex === -1 ? 'diracx' : args[backendIndex + 1];
if (!['diracx', 'dirac', 'dirac+diracx'].includes(backendName)) {
  process.stderr.write(`demo: --backend ${backendName ?? ''}: expected diracx, dirac or dirac+diracx\n`);
  process.exit(2);
}
const mixed = backendName === 'dirac+diracx';
const legacy = backendName === 'dirac' || mixed;
const work = path.join(root, '.work', 'demo');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true, mode: 0o700 });

// The runtime that ships (Node 22 from the npm registry), whatever `node` is on PATH.
const pinnedNode = path.join(root, 'node_modules', 'node', 'bin', 'node');
const runtime = existsSync(pinnedNode) ? pinnedNode : process.execPath;

const FINAL = new Set(['Done', 'Completed', 'Failed', 'Killed']);

/** Starts a dev server bundle and resolves with the JSON line it prints when ready. */
function startServer() {
  const argv = legacy
    ? [path.join(root, 'dist', 'devserver-dirac.cjs'), '--dir', path.join(work, 'dirac'), ...(mixed ? ['--diracx'] : [])]
    : [
        path.join(root, 'dist', 'devserver.cjs'),
        '--demo',
        '--tls-dir',
        path.join(work, 'tls'),
        '--credentials-out',
        path.join(work, 'pilot-credentials.json'),
      ];
  const child = spawn(runtime, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dev server did not start within 30 s')), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve({ child, lines, ...JSON.parse(line) });
      } catch (error) {
        reject(new Error(`dev server said: ${line}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`dev server exited with ${code}`)));
  });
}

function runPilot(server) {
  const command = binary ?? runtime;
  const argv = [
    ...(binary ? [] : [path.join(root, 'dist', 'pilot.cjs')]),
    'run',
    ...(legacy
      ? [
          '--backend',
          backendName,
          '--proxy',
          server.proxyPath,
          '--ca-path',
          server.caDir,
          '-C',
          server.csUrls.join(','),
          '--wnVO',
          server.vo,
          '-r',
          server.releaseVersion,
        ]
      : ['--diracx-url', server.url, '--ca-path', server.caFile, '--credentials', server.credentialsFile, '--wnVO', 'demo']),
    '--work-dir',
    path.join(work, 'pilot'),
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
    // No batch system here: give the slot a day of CPU time, and a fixed CPU power instead of DB12.
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
  console.log(`\n$ pilot ${argv.slice(binary ? 0 : 1).join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } });
    // Not executable, or gone since the check: one line, and the finally below still stops the server.
    child.on('error', (error) => {
      process.stderr.write(`demo: cannot run ${command}: ${error.code ?? error.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGTERM' ? 15 : 9)));
  });
}

/** The legacy dev server prints its jobs as a last JSON line when it stops. */
function legacyJobs(server) {
  return new Promise((resolve) => {
    server.lines.on('line', (line) => {
      const parsed = JSON.parse(line);
      if (parsed.jobs) {
        // Mixed mode: say which server got which calls (the v9 + DiracX split).
        if (mixed && parsed.calls) {
          const show = (title, calls) =>
            console.log(
              `  ${title}: ${
                Object.entries(calls ?? {})
                  .map(([name, n]) => `${name} ×${n}`)
                  .join(', ') || 'nothing'
              }`,
            );
          console.log('\nCalls each server received:');
          show('DIRAC (DIPS/HTTPS, pilot and payload proxies)', parsed.calls.dirac);
          show("DiracX (token of the proxy's DIRACX block)", parsed.calls.diracx);
        }
        resolve(parsed.jobs);
      }
    });
    server.child.kill('SIGTERM');
  });
}

async function jobs(server) {
  if (legacy) return legacyJobs(server);
  // The dev-only listing route; it needs no token and lives outside /api.
  const { Agent, fetch } = await import('undici');
  const { readFileSync } = await import('node:fs');
  const dispatcher = new Agent({ connect: { ca: readFileSync(server.caFile) } });
  const response = await fetch(`${server.url}/dev/jobs`, { dispatcher });
  const body = await response.json();
  await dispatcher.close();
  return body.jobs ?? body;
}

const server = await startServer();
let exitCode;
try {
  exitCode = await runPilot(server);
  const list = await jobs(server);
  console.log('\nJobs on the server:');
  console.log('  id  status     minor status                                    history');
  for (const job of list) {
    const history = job.history
      .map((h) => h.status)
      .filter((s, i, a) => s && s !== a[i - 1])
      .join(' → ');
    console.log(
      `  ${String(job.id ?? job.job_id).padStart(3)} ${String(job.status).padEnd(10)} ${String(job.minorStatus ?? '')
        .slice(0, 46)
        .padEnd(47)} ${history}`,
    );
  }
  const notFinal = list.filter((j) => !FINAL.has(j.status));
  console.log(`\npilot exit code: ${exitCode}; ${list.length - notFinal.length}/${list.length} jobs in a final state`);
  if (notFinal.length > 0) exitCode = exitCode || 1;
} finally {
  server.child.kill('SIGTERM');
  if (!keep) rmSync(path.join(work, 'pilot', 'jobs'), { recursive: true, force: true });
}
process.exit(exitCode);

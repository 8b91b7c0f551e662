// The node probe: `pilot probe --json` as a whole process against the bare runtime
// (`node -e 0`), against the system tools a site admin would run instead (`lscpu -J`, plus
// `nvidia-smi --query-gpu` where a GPU driver is present), and against systeminformation's
// getStaticData() in a child process; plus the probe's own in-process time, from a small
// esbuild bundle of src/probes (cold first call, as `pilot probe` makes it, and warm calls).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round, spreadOf } from './stats.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const node = path.join(repo, 'node_modules', '.bin', 'node');
const pilot = path.join(repo, 'dist', 'pilot.cjs');

/** Wall time of one run to exit, in ms; rejects if the command fails or takes over a minute. */
function timeOnce([file, args, options = {}]) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { stdio: 'ignore', cwd: tmpdir(), timeout: 60_000, ...options });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${file} ${args.join(' ')} exited ${code ?? signal}`));
    });
  });
}

/** Runs the commands in turn, `runs` rounds, so that load drift on a shared machine hits all alike. */
async function interleaved(runs, commands) {
  const times = commands.map(() => []);
  for (const command of commands) await timeOnce(command); // warm the page cache
  for (let round = 0; round < runs; round++) {
    for (const [i, command] of commands.entries()) times[i].push(await timeOnce(command));
  }
  return times;
}

function which(name) {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/local/nvidia/bin', '/usr/bin', '/opt/nvidia/bin']) {
    const file = path.join(dir, name);
    if (dir && existsSync(file)) return file;
  }
  return null;
}

function bundle(dir, name, source) {
  const entry = path.join(dir, `${name}.ts`);
  writeFileSync(entry, source);
  const out = path.join(dir, `${name}.cjs`);
  const esbuild = path.join(repo, 'node_modules', '.bin', 'esbuild');
  const built = spawnSync(
    esbuild,
    [entry, '--bundle', '--platform=node', '--format=cjs', '--target=node22', `--outfile=${out}`, '--log-level=warning'],
    { encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(`esbuild failed: ${built.stderr}`);
  return out;
}

const probesIndex = JSON.stringify(path.join(repo, 'src', 'probes', 'index.ts'));

/** esbuild bundle of the probe library plus a driver that times probeNode() and prints JSON. */
function buildInProcessTimer(dir) {
  return bundle(
    dir,
    'probe-timer',
    `import { probeNode } from ${probesIndex};
async function main() {
  const warm = Number(process.argv[2] ?? 10);
  const cpu = process.cpuUsage();
  let start = performance.now();
  await probeNode({ env: process.env, workDir: process.cwd() });
  const cold = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const coldCpu = (used.user + used.system) / 1000;
  const times = [];
  for (let i = 0; i < warm; i++) {
    start = performance.now();
    await probeNode({ env: process.env, workDir: process.cwd() });
    times.push(performance.now() - start);
  }
  process.stdout.write(JSON.stringify({ cold, coldCpu, warm: times }));
}
main();
`,
  );
}

export default async function run({ runs = 7, log = console.log } = {}) {
  if (!existsSync(pilot)) {
    log('dist/pilot.cjs missing: building');
    const built = spawnSync(node, [path.join(repo, 'scripts', 'build.mjs')], { cwd: repo, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('build failed');
  }
  const records = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'probe-bench-'));
  try {
    // 1. In-process: one cold call per process (what `pilot probe` pays), several processes.
    const timer = buildInProcessTimer(dir);
    const colds = [];
    const coldCpus = [];
    const warms = [];
    for (let i = 0; i < runs; i++) {
      const result = spawnSync(node, [timer, '10'], { encoding: 'utf8', timeout: 60_000, cwd: tmpdir() });
      if (result.status !== 0) throw new Error(`probe timer failed: ${result.stderr}`);
      const { cold, coldCpu, warm } = JSON.parse(result.stdout);
      colds.push(cold);
      coldCpus.push(coldCpu);
      warms.push(median(warm));
    }
    const cold = median(colds);
    records.push({
      name: 'probeNode() in-process, first call',
      value: round(cold),
      unit: 'ms',
      target: '< 20 ms',
      pass: cold < 20,
      spread: spreadOf(colds, 'ms'),
    });
    // CPU time of the same first call: what the probe costs, whatever else shares the machine.
    records.push({
      name: 'probeNode() in-process, first call, CPU time',
      value: round(median(coldCpus)),
      unit: 'ms',
      target: '< 20 ms',
      pass: median(coldCpus) < 20,
      spread: spreadOf(coldCpus, 'ms'),
    });
    records.push({
      name: 'probeNode() in-process, warm call',
      value: round(median(warms)),
      unit: 'ms',
      target: '< 20 ms',
      pass: median(warms) < 20,
      spread: spreadOf(warms, 'ms'),
    });
    log(`in-process: cold ${round(cold)} ms, warm ${round(median(warms))} ms`);

    // 2. The whole process against its floor and the system tools, interleaved.
    const probeCommand = [node, [pilot, 'probe', '--json']];
    const floorCommand = [node, ['-e', '0']];
    const lscpu = which('lscpu');
    const nvidiaSmi = existsSync('/proc/driver/nvidia/version') ? which('nvidia-smi') : null;
    const toolCommands = [];
    if (lscpu) toolCommands.push([lscpu, ['-J']]);
    if (nvidiaSmi)
      toolCommands.push([
        nvidiaSmi,
        ['--query-gpu=index,name,uuid,memory.total,driver_version,compute_cap,pci.bus_id', '--format=csv,noheader,nounits'],
      ]);
    const [probeTimes, floorTimes, ...toolTimes] = await interleaved(runs, [probeCommand, floorCommand, ...toolCommands]);
    const probeMs = median(probeTimes);
    const floorMs = median(floorTimes);
    // The development launcher reads the bundle and its code cache from two files through Node's
    // CommonJS loader; the executable has them in memory. Reported: the target is on what ships.
    records.push({
      name: 'node dist/pilot.cjs probe --json (development launcher, process)',
      value: round(probeMs),
      unit: 'ms',
      baseline: round(floorMs),
      baselineName: 'node -e 0',
      ratio: round(probeMs / floorMs),
      target: 'reported (the target applies to the executable)',
      spread: `${spreadOf(probeTimes, 'ms')} vs ${spreadOf(floorTimes, 'ms')}`,
    });
    // The shipped executable, when built: what a site actually runs (the launcher and the lite
    // bundle with its code cache, src/launcher/launcher.ts), against a bare start of the same Node.
    const executable = path.join(repo, 'dist', 'bin', 'pilot-linux-x64');
    if (process.arch === 'x64' && existsSync(executable)) {
      // The headline: more rounds than the other rows (each is ~60 ms), since a 1.5x target on a
      // 25 ms floor is a matter of a few milliseconds on a shared machine.
      const [exeTimes, exeFloor] = await interleaved(Math.max(runs, 41), [[executable, ['probe', '--json']], floorCommand]);
      const exeMs = median(exeTimes);
      records.push({
        name: 'pilot-linux-x64 probe --json (the executable, process)',
        value: round(exeMs),
        unit: 'ms',
        baseline: round(median(exeFloor)),
        baselineName: 'node -e 0',
        ratio: round(exeMs / median(exeFloor)),
        target: 'ratio <= 1.5',
        pass: exeMs / median(exeFloor) <= 1.5,
        spread: `${spreadOf(exeTimes, 'ms')} vs ${spreadOf(exeFloor, 'ms')}`,
      });
    } else log('dist/bin/pilot-linux-x64 not built: the executable is left out (npm run build:binaries)');
    if (nvidiaSmi) {
      // GPU facts must cost no more than one nvidia-smi call: the probe with the real nvidia-smi
      // against the probe with a stand-in that fails at once (GPU facts from /proc only).
      const stub = path.join(dir, 'stub-bin');
      mkdirSync(stub);
      writeFileSync(path.join(stub, 'nvidia-smi'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
      const stubbed = [node, [pilot, 'probe', '--json'], { env: { ...process.env, PATH: `${stub}:${process.env.PATH ?? ''}` } }];
      const [withGpu, withoutSmi, smiTimes] = await interleaved(runs, [probeCommand, stubbed, toolCommands.at(-1)]);
      const gpuCost = median(withGpu) - median(withoutSmi);
      records.push({
        name: 'GPU facts: pilot probe --json minus the same with nvidia-smi stubbed out',
        value: round(gpuCost),
        unit: 'ms',
        baseline: round(median(smiTimes)),
        baselineName: 'one nvidia-smi --query-gpu call',
        ratio: round(gpuCost / median(smiTimes)),
        target: 'ratio <= 1 (no more than one nvidia-smi call)',
        pass: gpuCost <= median(smiTimes),
        spread: `${spreadOf(withGpu, 'ms')} vs ${spreadOf(withoutSmi, 'ms')}`,
      });
    }
    if (toolTimes.length > 0) {
      // The tools answer less (no cgroups, batch, container, platform); this is the cost of asking them.
      const toolMs = toolTimes.map((times) => median(times)).reduce((a, b) => a + b, 0);
      const toolName = toolCommands.map(([file]) => path.basename(file)).join(' + ');
      records.push({
        name: 'pilot probe --json (process)',
        value: round(probeMs),
        unit: 'ms',
        baseline: round(toolMs),
        baselineName: toolName === 'lscpu' ? 'lscpu -J' : `lscpu -J + nvidia-smi --query-gpu`,
        ratio: round(probeMs / toolMs),
        target: 'reported (no target)',
        spread: `${spreadOf(probeTimes, 'ms')} vs ${toolTimes.map((times) => spreadOf(times, 'ms')).join(' + ')}`,
      });
    } else log('lscpu not found: that comparison is left out');

    // 3. systeminformation's getStaticData() in a child process: slow (~66 commands), so fewer runs.
    const siRuns = Math.max(3, Math.min(runs, 5));
    const siCommand = [
      node,
      ['-e', "require('systeminformation').getStaticData().then(() => process.exit(0), () => process.exit(1))"],
      { cwd: repo },
    ];
    const [probeAgain, siTimes] = await interleaved(siRuns, [probeCommand, siCommand]);
    const siMs = median(siTimes);
    const probeAgainMs = median(probeAgain);
    records.push({
      name: 'pilot probe --json (process)',
      value: round(probeAgainMs),
      unit: 'ms',
      baseline: round(siMs),
      baselineName: 'systeminformation getStaticData() (process)',
      ratio: round(probeAgainMs / siMs, 4),
      target: 'ratio <= 0.1 (10x faster)',
      pass: probeAgainMs / siMs <= 0.1,
      spread: `${spreadOf(probeAgain, 'ms')} vs ${spreadOf(siTimes, 'ms')}`,
    });
    log(`process: probe ${round(probeMs)} ms, node -e 0 ${round(floorMs)} ms, getStaticData ${round(siMs)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return records;
}

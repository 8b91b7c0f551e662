// A/B of the pilot's storage downloads: src/data at a git ref (before) against the working tree
// (after), and plain xrdcp, on the same XRootD server and file, rounds interleaved, in one run.
// Wall time and client CPU time (this process plus its waited-for xrdcp children).
//   node bench/data-ab.mjs REF      (AB_MIB, default 512; AB_ROUNDS, default 3; AB_ONLY: a
//   comma-separated list of words, only the sides whose names hold one, e.g. AB_ONLY=https,xrdcp)
// Uploads too: the https PUT (with its HEAD check) before and after, and xrdcp's root:// upload.
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scratch = path.join(repo, 'bench', '.tmp', 'data-ab');
const ref = process.argv[2];
if (!ref) throw new Error('usage: node bench/data-ab.mjs GIT_REF');
const mib = Number(process.env.AB_MIB ?? 512);
rmSync(scratch, { recursive: true, force: true });
mkdirSync(path.join(scratch, 'before'), { recursive: true });
const archive = execFileSync('git', ['-C', repo, 'archive', ref, 'src/data'], { maxBuffer: 64 << 20 });
execFileSync('tar', ['-x', '-C', path.join(scratch, 'before')], { input: archive });

async function load(root, name, helpers) {
  const exports = ["export { createStorage } from './src/data/storage/index.ts';", "export { fileAdler32 } from './src/data/adler32.ts';"];
  if (helpers)
    exports.push("export { startXrootdSE } from './tests/data/xrootd.ts';", "export { writeTestPki } from './src/devserver-dirac/pki.ts';");
  const outfile = path.join(scratch, `${name}.mjs`);
  await build({
    stdin: { contents: exports.join('\n'), resolveDir: root, loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'warning',
    packages: 'external',
  });
  return import(pathToFileURL(outfile).href);
}
const after = await load(repo, 'after', true);
const before = await load(path.join(scratch, 'before'), 'before', false);
const pki = await after.writeTestPki(path.join(scratch, 'pki'));
const se = await after.startXrootdSE({ name: 'ab', host: pki.host, ca: pki.ca });
const source = path.join(scratch, 'source.bin');
const out = createWriteStream(source);
const chunk = randomBytes(1 << 20);
for (let i = 0; i < mib; i++) {
  chunk[0] = i & 0xff;
  if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
}
await new Promise((r) => out.end(r));
try {
  execFileSync('xrdcp', ['--nopbar', '--force', '--path', source, se.rootUrl('/ab/file.bin')]);
  const expectedAdler32 = (await after.fileAdler32(source)).adler32.toString(16).padStart(8, '0');
  const dest = path.join(scratch, 'dl.bin');
  const children = () => {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  };
  const results = {};
  const measure = async (name, fn) => {
    rmSync(dest, { force: true });
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const k0 = children();
    await fn();
    const c = process.cpuUsage(c0);
    (results[name] ??= []).push({ wall: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6 + children() - k0 });
  };
  const options = { signal: new AbortController().signal, credentials: { caDir: pki.caDir }, timeoutMs: 300_000, expectedAdler32 };
  const old = before.createStorage();
  const now = after.createStorage();
  let uploads = 0;
  const upload = (name, fn) =>
    measure(name, async () => {
      const target = `/ab/up-${uploads++}.bin`;
      await fn(target);
      rmSync(path.join(se.dataDir, target), { force: true });
    });
  const all = [
    ['xrdcp', () => measure('xrdcp', () => execFileSync('xrdcp', ['--nopbar', '--force', se.rootUrl('/ab/file.bin'), dest]))],
    ['before root', () => measure('before root', () => old.download(se.rootUrl('/ab/file.bin'), dest, options))],
    ['after root', () => measure('after root', () => now.download(se.rootUrl('/ab/file.bin'), dest, options))],
    ['before https', () => measure('before https', () => old.download(se.httpsUrl('/ab/file.bin'), dest, options))],
    ['after https', () => measure('after https', () => now.download(se.httpsUrl('/ab/file.bin'), dest, options))],
    ['xrdcp put', () => upload('xrdcp put', (t) => execFileSync('xrdcp', ['--nopbar', '--force', '--path', source, se.rootUrl(t)]))],
    ['before https put', () => upload('before https put', (t) => old.upload(source, se.httpsUrl(t), options))],
    ['after https put', () => upload('after https put', (t) => now.upload(source, se.httpsUrl(t), options))],
  ];
  const only = process.env.AB_ONLY?.split(',');
  const sides = all.filter(([name]) => !only || only.some((w) => name.includes(w))).map(([, side]) => side);
  for (let r = 0; r < Number(process.env.AB_ROUNDS ?? 3); r++) for (const side of r % 2 ? [...sides].reverse() : sides) await side();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const baseOf = (name) =>
    results[name] && { wall: median(results[name].map((x) => x.wall)), cpu: median(results[name].map((x) => x.cpu)) };
  console.log(`${mib} MiB, ${ref} (before) vs working tree (after); medians; ratios against plain xrdcp`);
  for (const [name, runs] of Object.entries(results)) {
    const wall = median(runs.map((x) => x.wall));
    const cpu = median(runs.map((x) => x.cpu));
    const base = baseOf(name.endsWith('put') ? 'xrdcp put' : 'xrdcp');
    const spread = (key) => `${Math.min(...runs.map((x) => x[key])).toFixed(2)}..${Math.max(...runs.map((x) => x[key])).toFixed(2)}`;
    const against = (ours, theirs, word) => (theirs ? ` (${word(theirs, ours)})` : '');
    console.log(
      `${name.padEnd(16)} wall ${wall.toFixed(2)} s [${spread('wall')}] ${(mib / wall).toFixed(0)} MiB/s${against(wall, base?.wall, (b, o) => `${(b / o).toFixed(2)}x of xrdcp's speed`)}` +
        `  client CPU ${cpu.toFixed(2)} s [${spread('cpu')}]${against(cpu, base?.cpu, (b, o) => `${(o / b).toFixed(2)}x xrdcp's`)}`,
    );
  }
} finally {
  await se.stop();
  rmSync(scratch, { recursive: true, force: true });
}

// Job data: the pilot's storage clients against xrdcp on the same files, same XRootD server
// (Debian's xrootd-server on loopback, root:// and XrdHttp https:// behind a test CA), same run,
// rounds taking turns to go first, a warm-up round not counted, a `sync` before each transfer.
// The pilot's https download is told the size (as the catalog tells it for input data), so it
// fetches two ranges side by side, each streamed through its Adler-32 summer to disk; a row
// beside it has the one GET a file of unknown size gets. Its root:// download is xrdcp with the catalog's
// Adler-32 checked end to end. Memory: the bench process's peak RSS above its level before the
// transfers, for the whole file size (a flat figure means the body never sits in memory).
// Two baselines for the https download: xrdcp over root:// (the target row: plaintext on
// loopback, no TLS on either side) and curl on the same https:// URL (the same TLS decryption and
// XrdHttp encryption, what a user would compare with; Debian 12 has no XrdClHttp plugin for an
// xrdcp over https). curl writes to a file and checks nothing, as xrdcp does. The upload has
// curl's PUT to the same URL beside xrdcp's root:// (XrdHttp's PUT path against its root:// one).
// Size: DATA_BENCH_MIB (default 1024).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { median, round, spreadOf } from './stats.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scratch = path.join(repo, 'bench', '.tmp', 'data');

async function loadLibrary() {
  const outfile = path.join(scratch, 'data-lib.mjs');
  await build({
    stdin: {
      contents: [
        "export { createStorage } from './src/data/storage/index.ts';",
        "export { fileAdler32, adler32Hex } from './src/data/adler32.ts';",
        "export { startXrootdSE, xrootdMissing } from './tests/data/xrootd.ts';",
        "export { writeTestPki } from './src/devserver-dirac/pki.ts';",
      ].join('\n'),
      resolveDir: repo,
      loader: 'ts',
    },
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

/** CPU seconds of this process plus its waited-for children (xrdcp) so far: /proc/self/stat cutime+cstime. */
function cpuSeconds() {
  const own = process.cpuUsage();
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  return (own.user + own.system) / 1e6 + ticks / 100;
}

/** CPU seconds the XRootD server has used so far (/proc/PID/stat utime+stime; its threads included). */
let serverPid;
function serverCpuSeconds() {
  if (!serverPid) return 0;
  const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Client CPU seconds (this process and its children) and the server's, per transfer, by figure name. */
const cpu = {};
const serverCpu = {};
async function timeMs(fn, cpuName) {
  // Each transfer starts with nothing dirty in the page cache: the previous one's writeback would
  // otherwise slow whichever comes next.
  execFileSync('sync');
  const start = process.hrtime.bigint();
  const cpu0 = cpuSeconds();
  const server0 = serverCpuSeconds();
  await fn();
  if (cpuName) {
    (cpu[cpuName] ??= []).push(cpuSeconds() - cpu0);
    (serverCpu[cpuName] ??= []).push(serverCpuSeconds() - server0);
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Peak RSS (MiB) above the level at the start, sampled every 20 ms while `fn` runs. */
async function peakRssDelta(fn) {
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return (peak - base) / 2 ** 20;
}

async function writeRandomFile(file, mib) {
  const out = createWriteStream(file);
  const chunk = randomBytes(1 << 20);
  for (let i = 0; i < mib; i++) {
    chunk[0] = i & 0xff;
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

export default async function dataBench({ runs, log }) {
  const mib = Number(process.env.DATA_BENCH_MIB ?? 1024);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const lib = await loadLibrary();
  const missing = lib.xrootdMissing();
  if (missing) {
    log(`skipped: ${missing}`);
    return [];
  }
  const pki = await lib.writeTestPki(path.join(scratch, 'pki'));
  const se = await lib.startXrootdSE({ name: 'bench', host: pki.host, ca: pki.ca });
  serverPid = se.pid;
  const storage = lib.createStorage();
  const source = path.join(scratch, 'source.bin');
  const n = Math.max(2, Math.min(runs, 7));
  try {
    await writeRandomFile(source, mib);
    const { adler32 } = await lib.fileAdler32(source);
    const sum = lib.adler32Hex(adler32);
    execFileSync('xrdcp', ['--nopbar', '--force', '--path', source, se.rootUrl('/bench/file.bin')]);
    const options = { signal: new AbortController().signal, credentials: { caDir: pki.caDir }, timeoutMs: 120_000 };
    const xrdcp = (from, to) => execFileSync('xrdcp', ['--nopbar', '--force', '--path', from, to], { stdio: 'ignore' });

    const hasCurl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
    if (!hasCurl) log('no curl: the https download has only the xrdcp root:// baseline');
    const curl = (from, to) =>
      execFileSync('curl', ['--silent', '--show-error', '--fail', '--cacert', path.join(pki.caDir, 'test-ca.pem'), '--output', to, from], {
        stdio: 'ignore',
      });
    const curlPut = (from, to) =>
      execFileSync(
        'curl',
        ['--silent', '--show-error', '--fail', '--cacert', path.join(pki.caDir, 'test-ca.pem'), '--upload-file', from, to],
        {
          stdio: 'ignore',
        },
      );
    const rounds = {
      httpsGet: [],
      httpsOneGet: [],
      rootGet: [],
      xrdcpGet: [],
      curlGet: [],
      httpsPut: [],
      curlPut: [],
      xrdcpPut: [],
      xrdcpPutCksum: [],
    };
    const rss = { httpsGet: 0, httpsPut: 0 };
    // Round -1 warms up (the first 1 GiB written on this VM is the slowest) and is not counted.
    for (let i = -1; i < n; i++) {
      const dl = (name) => path.join(scratch, `${name}-${i}.bin`);
      const sides = [
        async () => {
          let ms = 0;
          const mem = await peakRssDelta(async () => {
            // The size known, as the catalog gives it for input data: two ranges side by side.
            ms = await timeMs(
              () => storage.download(se.httpsUrl('/bench/file.bin'), dl('https'), { ...options, expectedSize: mib * 1024 * 1024 }),
              'httpsGet',
            );
          });
          rounds.httpsGet.push(ms);
          rss.httpsGet = Math.max(rss.httpsGet, mem);
        },
        async () =>
          rounds.httpsOneGet.push(await timeMs(() => storage.download(se.httpsUrl('/bench/file.bin'), dl('one'), options), 'httpsOneGet')),
        async () =>
          rounds.rootGet.push(
            await timeMs(
              () => storage.download(se.rootUrl('/bench/file.bin'), dl('root'), { ...options, expectedAdler32: sum }),
              'rootGet',
            ),
          ),
        async () => rounds.xrdcpGet.push(await timeMs(async () => xrdcp(se.rootUrl('/bench/file.bin'), dl('xrdcp')), 'xrdcpGet')),
        ...(hasCurl
          ? [async () => rounds.curlGet.push(await timeMs(async () => curl(se.httpsUrl('/bench/file.bin'), dl('curl')), 'curlGet'))]
          : []),
      ];
      for (const side of i % 2 === 0 ? sides : [...sides].reverse()) await side();
      for (const name of ['https', 'one', 'root', 'xrdcp', 'curl']) rmSync(dl(name), { force: true });
      const ups = [
        async () => {
          let ms = 0;
          const mem = await peakRssDelta(async () => {
            ms = await timeMs(() => storage.upload(source, se.httpsUrl(`/bench/up-https-${i}.bin`), options), 'httpsPut');
          });
          rounds.httpsPut.push(ms);
          rss.httpsPut = Math.max(rss.httpsPut, mem);
        },
        async () => rounds.xrdcpPut.push(await timeMs(async () => xrdcp(source, se.rootUrl(`/bench/up-xrdcp-${i}.bin`)), 'xrdcpPut')),
        ...(hasCurl
          ? [async () => rounds.curlPut.push(await timeMs(async () => curlPut(source, se.httpsUrl(`/bench/up-curl-${i}.bin`)), 'curlPut'))]
          : []),
        // Like for like with the pilot's check: xrdcp asks the server for its Adler-32 of the stored
        // file, which XrdHttp computes by reading the file, as it does for the pilot's HEAD.
        async () =>
          rounds.xrdcpPutCksum.push(
            await timeMs(async () =>
              execFileSync(
                'xrdcp',
                ['--nopbar', '--force', '--path', '--cksum', `adler32:${sum}`, source, se.rootUrl(`/bench/up-cksum-${i}.bin`)],
                {
                  stdio: 'ignore',
                },
              ),
            ),
          ),
      ];
      for (const side of i % 2 === 0 ? ups : [...ups].reverse()) await side();
      rmSync(path.join(se.dataDir, 'bench', `up-https-${i}.bin`), { force: true });
      rmSync(path.join(se.dataDir, 'bench', `up-xrdcp-${i}.bin`), { force: true });
      rmSync(path.join(se.dataDir, 'bench', `up-cksum-${i}.bin`), { force: true });
      rmSync(path.join(se.dataDir, 'bench', `up-curl-${i}.bin`), { force: true });
      if (i < 0) {
        for (const figures of [rounds, cpu, serverCpu]) for (const key of Object.keys(figures)) figures[key].length = 0;
        rss.httpsGet = rss.httpsPut = 0;
        continue;
      }
      log(
        `round ${i + 1}/${n}: https get ${round(rounds.httpsGet[i])} ms, https one GET ${round(rounds.httpsOneGet[i])} ms, root get ${round(rounds.rootGet[i])} ms, xrdcp get ${round(rounds.xrdcpGet[i])} ms, curl https get ${hasCurl ? round(rounds.curlGet[i]) : '-'} ms, https put ${round(rounds.httpsPut[i])} ms, curl put ${hasCurl ? round(rounds.curlPut[i]) : '-'} ms, xrdcp put ${round(rounds.xrdcpPut[i])} ms, xrdcp --cksum put ${round(rounds.xrdcpPutCksum[i])} ms`,
      );
    }
    const mibps = (ms) => round(mib / (ms / 1000), 1);
    const fig = (name, ours, theirs, baselineName, target) => {
      const value = mibps(median(ours));
      const baseline = mibps(median(theirs));
      const ratio = round(value / baseline, 2);
      return {
        name,
        value,
        unit: 'MiB/s',
        baselineName,
        baseline,
        ratio,
        target: `>= ${target}x`,
        pass: ratio >= target,
        spread: spreadOf(ours.map(mibps), 'MiB/s'),
      };
    };
    return [
      fig(
        `download ${mib} MiB, https (own HTTP/1.1 reader, two ranges side by side, Adler-32 on the way)`,
        rounds.httpsGet,
        rounds.xrdcpGet,
        'xrdcp root:// (no checksum)',
        0.9,
      ),
      ...(hasCurl
        ? [
            {
              ...fig(
                `download ${mib} MiB, https (two ranges side by side), against curl on the same https URL`,
                rounds.httpsGet,
                rounds.curlGet,
                'curl https:// (same URL, TLS both sides, no checksum)',
                0.9,
              ),
              target: 'informational (same TLS as the pilot; the target is on the xrdcp root:// row)',
              pass: undefined,
            },
          ]
        : []),
      {
        ...fig(
          `download ${mib} MiB, https, one GET (size unknown)`,
          rounds.httpsOneGet,
          rounds.xrdcpGet,
          'xrdcp root:// (no checksum)',
          0.9,
        ),
        target: 'informational (what a file of unknown size gets; the target is on the two-range row)',
        pass: undefined,
      },
      fig(`download ${mib} MiB, root:// (xrdcp, Adler-32 checked)`, rounds.rootGet, rounds.xrdcpGet, 'xrdcp root:// (no checksum)', 0.9),
      fig(`upload ${mib} MiB, https PUT (+ HEAD check)`, rounds.httpsPut, rounds.xrdcpPut, 'xrdcp root://', 0.9),
      ...(hasCurl
        ? [
            {
              ...fig(
                `upload ${mib} MiB, https PUT (+ HEAD check), against curl PUT on the same https URL`,
                rounds.httpsPut,
                rounds.curlPut,
                'curl --upload-file https:// (same URL, no check after)',
                0.9,
              ),
              target: 'informational (the same XrdHttp PUT path; curl does not check what was stored)',
              pass: undefined,
            },
          ]
        : []),
      {
        ...fig(
          `upload ${mib} MiB, https PUT (+ HEAD check with the server's Adler-32), against xrdcp --cksum`,
          rounds.httpsPut,
          rounds.xrdcpPutCksum,
          "xrdcp root:// --cksum adler32:<hex> (the server sums the stored file, as for the pilot's HEAD)",
          0.9,
        ),
        target: 'informational (like for like: both end with the server reading the file for its Adler-32; the target is on the row above)',
        pass: undefined,
      },
      // Where the time goes on two shared cores: the server's CPU per transfer (TLS encryption on https).
      ...[
        ['httpsGet', 'https download (pilot)'],
        ...(hasCurl ? [['curlGet', 'https download (curl)']] : []),
        ['xrdcpGet', 'root:// download (xrdcp)'],
        ['httpsPut', 'https upload (pilot, with its HEAD)'],
        ...(hasCurl ? [['curlPut', 'https upload (curl)']] : []),
        ['xrdcpPut', 'root:// upload (xrdcp)'],
      ]
        .filter(([key]) => serverPid && serverCpu[key]?.length)
        .map(([key, what]) => ({
          name: `XRootD server CPU during a ${mib} MiB ${what}`,
          value: round(median(serverCpu[key]), 2),
          unit: 's',
          target: 'informational',
          pass: undefined,
          spread: spreadOf(
            serverCpu[key].map((x) => round(x, 2)),
            's',
          ),
        })),
      // CPU time is far less disturbed than wall time by other work on a shared machine.
      ...['rootGet', 'httpsGet'].map((key) => {
        const value = round(median(cpu[key]), 2);
        const baseline = round(median(cpu.xrdcpGet), 2);
        return {
          name: `client CPU for a ${mib} MiB ${key === 'rootGet' ? 'root://' : 'https'} download (pilot + its xrdcp)`,
          value,
          unit: 's',
          baselineName: 'xrdcp root:// (no checksum)',
          baseline,
          ratio: round(value / baseline, 2),
          target: 'informational (lower is better)',
          pass: true,
          spread: spreadOf(
            cpu[key].map((x) => round(x, 2)),
            's',
          ),
        };
      }),
      ...(hasCurl
        ? [
            {
              name: `client CPU for a ${mib} MiB https download, against curl on the same https URL`,
              value: round(median(cpu.httpsGet), 2),
              unit: 's',
              baselineName: 'curl https:// (same URL)',
              baseline: round(median(cpu.curlGet), 2),
              ratio: round(median(cpu.httpsGet) / median(cpu.curlGet), 2),
              target: 'informational (lower is better)',
              pass: true,
              spread: `pilot ${spreadOf(
                cpu.httpsGet.map((x) => round(x, 2)),
                's',
              )}; curl ${spreadOf(
                cpu.curlGet.map((x) => round(x, 2)),
                's',
              )}`,
            },
          ]
        : []),
      {
        name: `peak RSS growth during a ${mib} MiB https download`,
        value: round(rss.httpsGet, 1),
        unit: 'MiB',
        target: '< 64 MiB',
        pass: rss.httpsGet < 64,
      },
      {
        name: `peak RSS growth during a ${mib} MiB https upload`,
        value: round(rss.httpsPut, 1),
        unit: 'MiB',
        target: '< 64 MiB',
        pass: rss.httpsPut < 64,
      },
    ];
  } finally {
    await se.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

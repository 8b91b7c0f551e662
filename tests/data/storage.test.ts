/**
 * The storage protocols against real storage: file://, and root:// (xrdcp) and https:// (the pilot's own HTTP/1.1 reader)
 * against Debian's xrootd-server on loopback behind a test CA, with its faults: a refused port,
 * a frozen server, a missing file and a replica with one byte changed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adler32, adler32Hex } from '../../src/data/adler32.js';
import { DataError } from '../../src/data/errors.js';
import { createStorage, type TransferOptions } from '../../src/data/storage/index.js';
import { xrdcpProtocol } from '../../src/data/storage/xrdcp.js';
import { writeTestPki, type TestPki } from '../dirac/pki.js';
import { startXrootdSE, xrootdMissing, type XrootdSE } from './xrootd.js';

const missing = xrootdMissing();
if (missing) console.log(`skipping XRootD storage tests: ${missing}`);

let work: string;
let pki: TestPki;
const content = randomBytes(3 * 1024 * 1024 + 123);
const sum = adler32Hex(adler32(content));
const storage = createStorage();
/** Splits anything from 1 MiB up, so the 3 MiB file goes in two ranges. */
const ranged = createStorage({ https: { parts: 2, minBytes: 1024 * 1024 } });

const options = (extra: Partial<TransferOptions> = {}): TransferOptions => ({
  signal: new AbortController().signal,
  credentials: { caDir: pki.caDir, proxyPath: pki.proxyPath },
  timeoutMs: 20_000,
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected the transfer to fail');
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'storage-test-'));
  pki = await writeTestPki(join(work, 'pki'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('file:// storage', () => {
  it('copies both ways with the Adler-32 of what moved, and never overwrites a local file', async () => {
    const seDir = join(work, 'file-se');
    const source = join(work, 'source.bin');
    await writeFile(source, content);
    const url = pathToFileURL(join(seDir, 'vo/user/a/f.bin')).href;
    expect(await storage.upload(source, url, options())).toEqual({ size: content.length, adler32: sum });
    const dest = join(work, 'fromfile.bin');
    expect(await storage.download(url, dest, options())).toEqual({ size: content.length, adler32: sum });
    expect((await readFile(dest)).equals(content)).toBe(true);
    expect((await failure(storage.download(url, dest, options()))).message).toMatch(/EEXIST/);
    expect((await failure(storage.download(`${url}.nope`, join(work, 'x'), options()))).kind).toBe('not-found');
  });
});

describe('xrdcp lookup', () => {
  it('names xrdcp in one line when it is nowhere', async () => {
    const protocol = xrdcpProtocol({ env: { PATH: join(work, 'empty') }, cvmfs: [] });
    const error = await failure(protocol.download('root://127.0.0.1:1//x', join(work, 'never'), options()));
    expect(error.kind).toBe('missing-tool');
    expect(error.message).toMatch(/^xrdcp not found/);
    expect(error.message).not.toContain('\n');
  });
});

describe('root:// downloads: xrdcp writes the pilot’s new file, the pilot sums it as it grows', () => {
  // An xrdcp that writes its stdout in bursts with pauses between (the reader catches up and waits),
  // and one that fails half-way.
  const fakeXrdcp = async (name: string, body: string): Promise<string> => {
    const path = join(work, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return path;
  };
  const parts = [content.subarray(0, 1_000_000), content.subarray(1_000_000, 2_500_000), content.subarray(2_500_000)];

  it('every byte is summed and in place, however xrdcp paces its writes', async () => {
    const files = await Promise.all(parts.map(async (p, i) => (await writeFile(join(work, `part${i}`), p), join(work, `part${i}`))));
    const binary = await fakeXrdcp('bursty-xrdcp', `cat '${files[0]}'; sleep 0.2; cat '${files[1]}'; sleep 0.1; cat '${files[2]}'`);
    const dest = join(work, 'bursty.bin');
    const result = await xrdcpProtocol({ binary }).download('root://se.example//f', dest, options({ expectedAdler32: sum }));
    expect(result).toEqual({ size: content.length, adler32: sum });
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('an xrdcp that fails half-way leaves no file, and its error line is the message', async () => {
    await writeFile(join(work, 'half'), parts[0]!);
    const binary = await fakeXrdcp(
      'failing-xrdcp',
      `cat '${join(work, 'half')}'; echo '[0B/0B][  0%][==========][0B/s]  Run: [ERROR] Server responded with an error: [3010] no way' >&2; exit 54`,
    );
    const dest = join(work, 'failed.bin');
    const error = await failure(xrdcpProtocol({ binary }).download('root://se.example//f', dest, options({ expectedAdler32: sum })));
    expect(error.message).toMatch(/^xrdcp exited 54: .*\[3010\] no way/);
    await expect(readFile(dest)).rejects.toThrow(/ENOENT/);
  });

  it('a file already at the destination is never written through', async () => {
    const binary = await fakeXrdcp('never-xrdcp', 'echo written');
    const dest = join(work, 'mine.bin');
    await writeFile(dest, 'mine');
    expect((await failure(xrdcpProtocol({ binary }).download('root://se.example//f', dest, options()))).message).toMatch(/EEXIST/);
    expect(await readFile(dest, 'utf8')).toBe('mine');
  });
});

describe('xrdcp gets the job owner’s credentials, never the pilot’s', () => {
  it('the pilot’s token and proxy variables are not in its environment; the owner’s proxy is', async () => {
    // An xrdcp that writes down its environment (a real process, as the real one would read it).
    const seen = join(work, 'xrdcp-env.txt');
    const fake = join(work, 'fake-xrdcp');
    await writeFile(fake, `#!/bin/sh\nenv > '${seen}'\n`, { mode: 0o755 });
    const pilotEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      BEARER_TOKEN: 'pilot-bearer-token',
      BEARER_TOKEN_FILE: '/run/pilot/bt',
      X509_USER_PROXY: '/pilot/proxy.pem',
      X509_USER_CERT: '/pilot/hostcert.pem',
      X509_USER_KEY: '/pilot/hostkey.pem',
      DIRACX_CREDENTIALS_PATH: '/pilot/creds.json',
      PILOT_SECRET: 'pilot-secret',
      XRD_LOGLEVEL: 'Info',
      LANG: 'C',
    };
    const protocol = xrdcpProtocol({ binary: fake, env: pilotEnv });
    const source = join(work, 'owner-output.bin');
    await writeFile(source, 'x');
    await protocol.upload(source, 'root://127.0.0.1:1//gridpp/x', options());
    const env = await readFile(seen, 'utf8');
    expect(env).toContain(`X509_USER_PROXY=${pki.proxyPath}`);
    expect(env).toContain('XRD_LOGLEVEL=Info');
    for (const leaked of ['pilot-bearer-token', '/run/pilot/bt', '/pilot/', 'pilot-secret', 'BEARER_TOKEN'])
      expect(env).not.toContain(leaked);
  });
});

describe.skipIf(missing !== null)('XRootD storage element (root:// and https://)', () => {
  let se: XrootdSE;
  const path = '/gridpp/data/run1/file.bin';

  beforeAll(async () => {
    se = await startXrootdSE({ name: 'se1', host: pki.host, ca: pki.ca });
    await se.put(path, content);
  });
  afterAll(async () => {
    await se?.stop();
  });

  it('root:// downloads with the checksum checked by xrdcp', async () => {
    const dest = join(work, 'root-dl.bin');
    const result = await storage.download(se.rootUrl(path), dest, options({ expectedAdler32: sum }));
    expect(result).toEqual({ size: content.length, adler32: sum });
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('https:// downloads through XrdHttp with the Adler-32 of the bytes received', async () => {
    const dest = join(work, 'https-dl.bin');
    expect(await storage.download(se.httpsUrl(path), dest, options())).toEqual({ size: content.length, adler32: sum });
    expect((await readFile(dest)).equals(content)).toBe(true);
    const davs = join(work, 'davs-dl.bin');
    expect(await storage.download(se.httpsUrl(path).replace('https:', 'davs:'), davs, options())).toEqual({
      size: content.length,
      adler32: sum,
    });
  });

  it('uploads over root:// and https:// land byte for byte', async () => {
    const source = join(work, 'up.bin');
    await writeFile(source, content);
    await storage.upload(source, se.rootUrl('/gridpp/user/a/alice/1/root-up.bin'), options({ expectedAdler32: sum }));
    expect((await se.read('/gridpp/user/a/alice/1/root-up.bin')).equals(content)).toBe(true);
    expect(await storage.upload(source, se.httpsUrl('/gridpp/user/a/alice/1/https-up.bin'), options())).toEqual({
      size: content.length,
      adler32: sum,
    });
    expect((await se.read('/gridpp/user/a/alice/1/https-up.bin')).equals(content)).toBe(true);
  });

  it('a missing file is not-found on both protocols, and leaves no partial file', async () => {
    for (const url of [se.rootUrl('/gridpp/none'), se.httpsUrl('/gridpp/none')]) {
      const dest = join(work, `none-${url.slice(0, 4)}`);
      expect((await failure(storage.download(url, dest, options()))).kind).toBe('not-found');
      await expect(readFile(dest)).rejects.toThrow(/ENOENT/);
    }
  });

  it('a replica with one byte changed is caught by its checksum', async () => {
    const bad = '/gridpp/data/run1/corrupt.bin';
    await se.put(bad, content);
    await se.corrupt(bad, 1000);
    const viaRoot = await failure(storage.download(se.rootUrl(bad), join(work, 'corrupt-root'), options({ expectedAdler32: sum })));
    expect(viaRoot.kind).toBe('corrupt');
    await expect(readFile(join(work, 'corrupt-root'))).rejects.toThrow(/ENOENT/);
    // https reports what it received; the size matches, the Adler-32 does not.
    const viaHttps = await storage.download(se.httpsUrl(bad), join(work, 'corrupt-https'), options());
    expect(viaHttps.size).toBe(content.length);
    expect(viaHttps.adler32).not.toBe(sum);
  });

  it('a replica that lost its last bytes is caught too', async () => {
    const short = '/gridpp/data/run1/short.bin';
    await se.put(short, content.subarray(0, content.length - 1000));
    const viaRoot = await failure(storage.download(se.rootUrl(short), join(work, 'short-root'), options({ expectedAdler32: sum })));
    expect(viaRoot.kind).toBe('corrupt');
    await expect(readFile(join(work, 'short-root'))).rejects.toThrow(/ENOENT/);
    // https reports the size it received (the job path compares it with the catalog's).
    expect((await storage.download(se.httpsUrl(short), join(work, 'short-https'), options())).size).toBe(content.length - 1000);
  });

  it('https:// downloads of a known size come in two ranges side by side, summed as one file', async () => {
    const dest = join(work, 'ranged-dl.bin');
    expect(await ranged.download(se.httpsUrl(path), dest, options({ expectedSize: content.length }))).toEqual({
      size: content.length,
      adler32: sum,
    });
    expect((await readFile(dest)).equals(content)).toBe(true);
    // One changed byte in either half changes the combined sum.
    for (const at of [1000, content.length - 1000]) {
      const bad = `/gridpp/data/run1/ranged-corrupt-${at}.bin`;
      await se.put(bad, content);
      await se.corrupt(bad, at);
      const got = await ranged.download(se.httpsUrl(bad), join(work, `ranged-corrupt-${at}`), options({ expectedSize: content.length }));
      expect(got.size).toBe(content.length);
      expect(got.adler32).toBe(adler32Hex(adler32(await se.read(bad))));
      expect(got.adler32).not.toBe(sum);
    }
    // A replica of another size is named before any body moves, and leaves no file.
    const short = '/gridpp/data/run1/ranged-short.bin';
    await se.put(short, content.subarray(0, content.length - 1000));
    const error = await failure(ranged.download(se.httpsUrl(short), join(work, 'ranged-short'), options({ expectedSize: content.length })));
    expect(error.kind).toBe('corrupt');
    expect(error.message).toMatch(new RegExp(`the server holds ${content.length - 1000} bytes, ${content.length} were expected`));
    await expect(readFile(join(work, 'ranged-short'))).rejects.toThrow(/ENOENT/);
  });

  it('a frozen server times out instead of hanging the job', async () => {
    se.pause();
    try {
      for (const url of [se.rootUrl(path), se.httpsUrl(path)]) {
        const error = await failure(storage.download(url, join(work, `slow-${url.slice(0, 4)}`), options({ timeoutMs: 2000 })));
        expect(['timeout', 'unreachable']).toContain(error.kind);
      }
    } finally {
      se.resume();
    }
  });

  it('the shutdown signal ends a transfer', async () => {
    se.pause();
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const error = await failure(
        storage.download(se.httpsUrl(path), join(work, 'aborted'), options({ signal: controller.signal, timeoutMs: 60_000 })),
      );
      expect(error.kind).toBe('aborted');
      const controller2 = new AbortController();
      setTimeout(() => controller2.abort(), 300);
      const error2 = await failure(
        storage.download(se.rootUrl(path), join(work, 'aborted-root'), options({ signal: controller2.signal, timeoutMs: 60_000 })),
      );
      expect(error2.kind).toBe('aborted');
    } finally {
      se.resume();
    }
  });
});

describe.skipIf(missing !== null)('refused storage', () => {
  it('a port nobody listens on is unreachable on both protocols', async () => {
    const se = await startXrootdSE({ name: 'gone', host: pki.host, ca: pki.ca });
    const urls = [se.rootUrl('/x'), se.httpsUrl('/x')];
    await se.stop();
    for (const url of urls) {
      const error = await failure(storage.download(url, join(work, `refused-${url.slice(0, 4)}`), options({ timeoutMs: 5000 })));
      expect(error.kind).toBe('unreachable');
    }
  });
});

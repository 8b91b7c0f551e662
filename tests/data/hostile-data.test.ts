/**
 * What a hostile job can do to the data path with real files and the real file:// protocol.
 *
 * A job's LFNs (InputData, OutputData `LFN:` names, OutputPath) become paths on a storage element,
 * and a file:// SE is a directory of this node. Percent-encoded dot segments (`%2e%2e`) and
 * backslashes pass a plain `..` check but are dot segments and slashes to the URL parser, so
 * `file:///se/gridpp/%2e%2e/%2e%2e/…` named any file of the node: the pilot would have copied one
 * of its own files into the job directory, or written a job's output anywhere it may write.
 * Real files, the real file:// protocol, a catalog that answers for any LFN.
 *
 * An OutputData file is the job's to name, and a process it left could swap the name for a
 * symlink to the pilot's credentials (published on the SE under the owner's LFN) or a FIFO (the
 * pilot's read blocked for ever) after the pilot checked it and before it read it. A POOL XML
 * catalog is the job's to write too, and the pilot parses every one in the job directory.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { resolveInputData } from '../../src/data/input-data.js';
import { uploadOutputData } from '../../src/data/output-data.js';
import { createStorage } from '../../src/data/storage/index.js';
import { checkLfn, endpointUrl } from '../../src/data/storage/url.js';
import type { Catalog, DataConfig, JobDataServices } from '../../src/data/types.js';
import { REPO_ROOT, runTsInChild } from '../support/ts-child.js';

let root: string;
let seDir: string;
let jobDir: string;
/** A file of the pilot's, beside the SE (its credentials, say). */
let secret: string;
const SECRET = 'pilot-credentials-do-not-copy\n';

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hostile-data-'));
  seDir = join(root, 'storage', 'se');
  jobDir = join(root, 'work', 'jobs', '7');
  await mkdir(seDir, { recursive: true });
  await mkdir(jobDir, { recursive: true });
  secret = join(root, 'credentials.json');
  await writeFile(secret, SECRET, { mode: 0o600 });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function services(): JobDataServices {
  const se = {
    name: 'SE-FILE',
    endpoints: [{ protocol: 'file', host: '', port: null, path: seDir, wsUrl: '', access: null }],
    readAccess: true,
    writeAccess: true,
    tape: false,
    accessProtocols: ['file'],
    writeProtocols: ['file'],
  };
  const config: DataConfig = {
    site: 'LCG.Test.org',
    vo: 'gridpp',
    storageElements: new Map([['SE-FILE', se]]),
    localSEs: ['SE-FILE'],
    siteSEs: ['SE-FILE'],
    defaultOutputSEs: ['SE-FILE'],
    failoverSEs: [],
    inputDataPolicies: ['DownloadInputData'],
    localProtocols: ['file'],
    remoteProtocols: ['file'],
    allReplicas: false,
    lfnUserPrefix: 'user',
    registrationProtocols: [],
    outputBufferBytes: 0,
    failoverRequestDelayMinutes: 0,
    outputSandboxLimitBytes: 10 << 20,
  };
  // A catalog that knows every LFN asked for, with the size of the pilot's file (what a hostile
  // owner would register under their own directory, under a literal `%2e%2e` name).
  const catalog: Catalog = {
    name: 'FileCatalog',
    getReplicas: async (lfns) => ({ successful: new Map(lfns.map((l) => [l, new Map([['SE-FILE', l]])])), failed: new Map() }),
    getFileMetadata: async (lfns) => ({
      successful: new Map(lfns.map((l) => [l, { size: SECRET.length, checksum: null, checksumType: null, guid: 'A-B' }])),
      failed: new Map(),
    }),
    exists: async (lfns) => ({ successful: new Map(lfns.map((l) => [l, false])), failed: new Map() }),
    addFile: async (files) => ({ successful: new Map(files.map((f) => [f.lfn, true as const])), failed: new Map() }),
  };
  return { catalog, requests: { putRequest: async () => undefined }, config, credentials: {} };
}

const ctx = () => ({
  services: services(),
  storage: createStorage(),
  signal: new AbortController().signal,
  transferTimeoutMs: 10_000,
  logger: silentLogger(),
  setParameter: () => undefined,
});

/** From the SE's directory (root/storage/se) up to root, then the pilot's file: three levels up. */
const ESCAPES = [
  '/gridpp/user/a/alice/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/credentials.json',
  '/gridpp/user/a/alice/.%2E/%2E./%2e%2e/%2e%2e/%2e%2e/%2e%2e/credentials.json',
  '/gridpp/user/a/alice/..\\..\\..\\..\\..\\..\\credentials.json',
  '/gridpp/user/a/alice/x%2f..%2f..%2fcredentials.json',
];

describe('LFNs that the URL parser would read as leaving the storage element', () => {
  it('are not valid LFNs, nor do they become storage URLs; ordinary ones still do', () => {
    const endpoint = { protocol: 'file', host: '', port: null, path: '/se', wsUrl: '', access: null };
    for (const lfn of [...ESCAPES, '/gridpp/user/a/alice/f?x=1', '/gridpp/user/a/alice/f#frag'])
      expect(() => endpointUrl(endpoint, lfn), lfn).toThrow(/not a valid LFN/);
    expect(endpointUrl(endpoint, '/gridpp/user/a/alice/run 1/f%.root')).toBe('file:///se/gridpp/user/a/alice/run 1/f%.root');
    expect(checkLfn('LFN:/gridpp/data/100%/x')).toBe('/gridpp/data/100%/x');
  });

  it('InputData: the pilot copies none of its own files into the job directory', async () => {
    for (const lfn of ESCAPES) {
      await expect(
        resolveInputData({ jobId: 7, inputData: [`LFN:${lfn}`], inputDataPolicy: [], inputDataModule: null, jobDir, diskShare: 1 }, ctx()),
        lfn,
      ).rejects.toThrow(/not a valid LFN/);
    }
    for (const name of await readdir(jobDir)) expect(await readFile(join(jobDir, name), 'utf8')).not.toContain('pilot-credentials');
  });

  it('OutputData and OutputPath: a job file is never written outside the storage element', async () => {
    await writeFile(join(jobDir, 'credentials.json'), 'written by the job\n');
    const request = {
      jobId: 7,
      jobName: undefined,
      owner: 'alice',
      ownerGroup: 'gridpp_user',
      outputSE: [],
      outputPath: '',
      jobDir,
    };
    for (const lfn of ESCAPES) {
      await expect(uploadOutputData({ ...request, outputData: [`LFN:${lfn}`] }, ctx()), lfn).rejects.toThrow(/not a valid LFN/);
    }
    await expect(
      uploadOutputData({ ...request, outputData: ['credentials.json'], outputPath: '%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e' }, ctx()),
    ).rejects.toThrow(/not a valid LFN/);
    expect(await readFile(secret, 'utf8')).toBe(SECRET);
    expect((await stat(secret)).mode & 0o777).toBe(0o600);
  });
});

/** Fails a promise that has not settled in `ms`: a read blocked on a FIFO never would. */
function unblocked<T>(promise: Promise<T>, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still blocked after ${ms} ms`)), ms)));
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

describe('an OutputData file swapped between the pilot’s check and its upload', () => {
  for (const swap of ['symlink to the pilot’s credentials', 'FIFO'] as const) {
    it(`${swap}: the pilot uploads what the job left, and is not blocked`, async () => {
      const output = join(jobDir, 'result.bin');
      await writeFile(output, 'the job output\n');
      const s = services();
      const exists = s.catalog.exists.bind(s.catalog);
      let swapped = false;
      // What a process the job left running would do once the pilot has looked at the file.
      s.catalog.exists = async (lfns) => {
        if (!swapped) {
          swapped = true;
          await rm(output);
          if (swap === 'FIFO') execFileSync('mkfifo', [output]);
          else await symlink(secret, output);
        }
        return exists(lfns);
      };
      const request = { jobId: 7, jobName: undefined, owner: 'alice', ownerGroup: 'gridpp_user', outputSE: [], outputPath: '', jobDir };
      try {
        const result = await unblocked(uploadOutputData({ ...request, outputData: ['result.bin'] }, { ...ctx(), services: s }));
        expect(swapped).toBe(true);
        expect(result.uploaded.map((u) => u.lfn)).toEqual(['/gridpp/user/a/alice/0/7/result.bin']);
        expect(await readFile(join(seDir, 'gridpp/user/a/alice/0/7/result.bin'), 'utf8')).toBe('the job output\n');
      } finally {
        // A reader still blocked on the FIFO (without the fix) is let go, so the worker can end.
        if (swap === 'FIFO') {
          try {
            closeSync(openSync(output, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {
            // no reader left
          }
        }
      }
    });
  }
});

describe('a POOL XML catalog the job wrote to take the pilot’s only thread', () => {
  it('16 MiB of unclosed <File tags or comment openers: read in one pass, the catalog beside it still read', async () => {
    const guid = '5E1D0C0A-7B3F-4A2E-9C1D-0F2E3D4C5B6A';
    const sixteen = 16 * 1024 * 1024 - 64;
    await writeFile(join(jobDir, 'a-files.xml'), `<File ID="${guid}">`.repeat(Math.floor(sixteen / 48)));
    await writeFile(join(jobDir, 'b-comments.xml'), '<!--<File'.repeat(Math.floor(sixteen / 9)));
    await writeFile(join(jobDir, 'c-pfns.xml'), `<File ID="${guid}">${'<pfn name="x"'.repeat(Math.floor(sixteen / 14))}</File>`);
    await writeFile(
      join(jobDir, 'outputs.xml'),
      `<POOLFILECATALOG><File ID="${guid}"><physical><pfn filetype="ROOT" name="result.bin"/></physical></File></POOLFILECATALOG>`,
    );
    // In a child process: a parser that rescans the text (hours on these files) is stopped there.
    const child = runTsInChild(
      'src/data/pool-xml.ts',
      `process.stdout.write(JSON.stringify([...(await m.poolGuidsIn(${JSON.stringify(jobDir)}))]));`,
      60_000,
    );
    expect(child.signal, 'the catalog parser did not finish within 60 s').toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual([['result.bin', guid]]);
  });
});

describe('OutputData patterns the job wrote against names the job chose', () => {
  it('`*a*a*…*b` over a 200-character name: matched in linear time, the upload goes on with the other outputs', async () => {
    await writeFile(join(jobDir, 'a'.repeat(200)), 'x');
    await writeFile(join(jobDir, 'result.bin'), 'the job output\n');
    const request = { jobId: 7, jobName: undefined, owner: 'alice', ownerGroup: 'gridpp_user', outputSE: [], outputPath: '', jobDir };
    const outputData = [`${'*a'.repeat(30)}*b`, 'res*.bin'];
    // The upload runs in a child process: a RegExp of that pattern backtracks for ever, and no timer
    // in this process would fire meanwhile. The file SE and catalog as above, rebuilt there.
    const body = `
      const { createStorage } = await import(${JSON.stringify(join(REPO_ROOT, 'src/data/storage/index.ts'))});
      const se = { name: 'SE-FILE', endpoints: [{ protocol: 'file', host: '', port: null, path: ${JSON.stringify(seDir)}, wsUrl: '', access: null }],
        readAccess: true, writeAccess: true, tape: false, accessProtocols: ['file'], writeProtocols: ['file'] };
      const config = { site: 'LCG.Test.org', vo: 'gridpp', storageElements: new Map([['SE-FILE', se]]), localSEs: [], siteSEs: ['SE-FILE'],
        defaultOutputSEs: ['SE-FILE'], failoverSEs: [], lfnUserPrefix: 'user', registrationProtocols: [] };
      const ok = (lfns, v) => ({ successful: new Map(lfns.map((l) => [l, v])), failed: new Map() });
      const catalog = { name: 'FileCatalog', exists: async (l) => ok(l, false), addFile: async (f) => ok(f.map((x) => x.lfn), true) };
      const quiet = { info() {}, warn() {}, error() {}, debug() {} };
      const result = await m.uploadOutputData(${JSON.stringify({ ...request, outputData })},
        { services: { catalog, config, credentials: {} }, storage: createStorage(), signal: new AbortController().signal,
          transferTimeoutMs: 10000, logger: quiet, setParameter() {} });
      process.stdout.write(JSON.stringify(result));`;
    const child = runTsInChild('src/data/output-data.ts', body, 60_000);
    expect(child.signal, 'the OutputData glob did not finish within 60 s').toBeNull();
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as { uploaded: { lfn: string }[]; missing: string[] };
    expect(result.uploaded.map((u) => u.lfn)).toEqual(['/gridpp/user/a/alice/0/7/result.bin']);
    expect(result.missing).toEqual([outputData[0]]);
  });

  it('fnmatch sets and a lone bracket, as DIRAC’s glob reads them; dot files left out', async () => {
    for (const name of ['out-1.txt', 'out-2.txt', 'out-x.txt', '[weird].txt', '.hidden.txt']) await writeFile(join(jobDir, name), name);
    const request = { jobId: 7, jobName: undefined, owner: 'alice', ownerGroup: 'gridpp_user', outputSE: [], outputPath: '', jobDir };
    const result = await uploadOutputData({ ...request, outputData: ['out-[0-9].txt', '[weird', '*.txt'] }, ctx());
    expect(result.uploaded.map((u) => u.localFile)).toEqual(['out-1.txt', 'out-2.txt', '[weird].txt', 'out-x.txt']);
    expect(result.missing).toEqual(['[weird']);
  });
});

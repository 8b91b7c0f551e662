#!/usr/bin/env node
/**
 * Builds what a VO publishes on its DIRAC pilot file server (and on CVMFS) so that an unmodified
 * SiteDirector starts this pilot (docs/deploying.md):
 *
 *   pilot.tar              dirac-pilot.py, the launcher, with the file servers and sha512s written in; never
 *                          an executable
 *   dirac-pilot.py         the same launcher, for a VO whose PilotSyncAgent builds pilot.tar from its pilot
 *                          repository (it tars that repository's *.py files)
 *   pilot-linux-<arch>.gz  each executable found in --bin-dir, gzip-compressed, for the launcher's download
 *   checksums.sha512       "<sha512>  <name>" lines, the format DIRAC's pilot wrapper checks
 *   pilot.json             copied from --pilot-json when given (the wrapper downloads it too)
 *
 * usage: node scripts/build-pilot-tar.mjs [--bin-dir dist/bin] [--out dist/pilot-files]
 *                                         [--url https://server/path]... [--pilot-json FILE]
 * --url: the file server directories the launcher downloads executables from (where these files
 * are published). The launcher records each compressed executable's sha512, so it trusts a download
 * only as far as the wrapper's check of pilot.tar.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LAUNCHER = path.join(ROOT, 'scripts', 'pilot-tar', 'dirac-pilot.py');
const ARCHES = ['x64', 'arm64'];

function usage(message) {
  process.stderr.write(
    `build-pilot-tar: ${message}\nusage: node scripts/build-pilot-tar.mjs [--bin-dir DIR] [--out DIR] [--url URL]... [--pilot-json FILE]\n`,
  );
  process.exit(2);
}

async function sha512File(file) {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'bin-dir': { type: 'string' },
        out: { type: 'string' },
        url: { type: 'string', multiple: true },
        'pilot-json': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    usage(error.message);
  }
  const binDir = path.resolve(values['bin-dir'] ?? path.join(ROOT, 'dist', 'bin'));
  const out = path.resolve(values.out ?? path.join(ROOT, 'dist', 'pilot-files'));
  const urls = values.url ?? [];
  for (const url of urls) if (!/^(https?|file):/.test(url)) usage(`--url ${url}: give an https://, http:// or file: URL`);
  mkdirSync(out, { recursive: true });

  const executables = {};
  for (const arch of ARCHES) {
    const name = `pilot-linux-${arch}`;
    const source = path.join(binDir, name);
    if (!existsSync(source)) continue;
    const packed = path.join(out, `${name}.gz`);
    await pipeline(createReadStream(source), createGzip({ level: 9 }), createWriteStream(packed));
    executables[name] = { file: `${name}.gz`, sha512: await sha512File(packed), size: statSync(packed).size };
  }
  if (Object.keys(executables).length === 0)
    usage(`no pilot-linux-x64 or pilot-linux-arm64 in ${binDir} (scripts/build-binaries.sh writes them)`);

  // The tar holds the launcher only: the wrapper downloads it for every pilot.
  const template = readFileSync(LAUNCHER, 'utf8');
  const placeholder = /^CONFIG = .*$/m;
  if (!placeholder.test(template)) throw new Error(`${LAUNCHER}: no CONFIG line to fill`);
  // JSON of strings, numbers, lists and objects is a Python literal too.
  const launcher = template.replace(placeholder, () => `CONFIG = ${JSON.stringify({ urls, executables })}`);
  writeFileSync(path.join(out, 'dirac-pilot.py'), launcher, { mode: 0o644 });
  const staging = mkdtempSync(path.join(tmpdir(), 'pilot-tar-'));
  try {
    writeFileSync(path.join(staging, 'dirac-pilot.py'), launcher, { mode: 0o644 });
    const tar = path.join(out, 'pilot.tar');
    execFileSync(
      'tar',
      ['--create', '--file', tar, '--directory', staging, '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', 'dirac-pilot.py'],
      { stdio: 'inherit' },
    );
    if (values['pilot-json']) copyFileSync(path.resolve(values['pilot-json']), path.join(out, 'pilot.json'));
    // The wrapper checks every listed file it has after untarring, the launcher included (as PilotSyncAgent lists its scripts).
    const lines = [];
    for (const name of ['dirac-pilot.py', 'pilot.json', 'pilot.tar', ...Object.values(executables).map((e) => e.file)]) {
      const file = path.join(out, name);
      if (existsSync(file)) lines.push(`${await sha512File(file)}  ${name}`);
    }
    writeFileSync(path.join(out, 'checksums.sha512'), `${lines.join('\n')}\n`);
    process.stdout.write(`${JSON.stringify({ out, tarBytes: statSync(tar).size, executables })}\n`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`build-pilot-tar: ${error.message}\n`);
  process.exit(1);
});

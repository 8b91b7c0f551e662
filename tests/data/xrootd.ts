/**
 * Real XRootD storage elements for tests: Debian's xrootd-server on loopback, one process per SE,
 * serving root:// and XrdHttp https:// behind the test CA. Each test file starts what it needs
 * and stops it afterwards; a missing binary skips with the reason printed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Issued } from '../dirac/pki.js';

export const XROOTD = ['/usr/bin/xrootd', '/usr/sbin/xrootd'].find((p) => existsSync(p)) ?? null;
export const XRDCP = ['/usr/bin/xrdcp'].find((p) => existsSync(p)) ?? null;

/** Why the XRootD tests cannot run here, or null when they can. */
export function xrootdMissing(): string | null {
  if (!XROOTD) return 'xrootd not installed (Debian xrootd-server; .ci/apt-packages.txt installs it in CI)';
  if (!XRDCP) return 'xrdcp not installed (Debian xrootd-client; .ci/apt-packages.txt installs it in CI)';
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const isRoot = process.getuid?.() === 0;

/** XRootD refuses to run as root: as root, it is started with -R and owns its directory. */
function xrootdUser(): { name: string; uid: number; gid: number } | null {
  if (!isRoot) return null;
  for (const name of ['xrootd', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { name, uid, gid };
    } catch {
      // next candidate
    }
  }
  return null;
}

export interface XrootdSE {
  name: string;
  /** The xrootd process (the bench reads its CPU time). */
  pid: number | undefined;
  rootPort: number;
  httpsPort: number;
  /** Where the SE keeps its files (oss.localroot): `${dataDir}${path}`. */
  dataDir: string;
  rootUrl(path: string): string;
  httpsUrl(path: string): string;
  /** Puts a file straight into the SE's storage (as if uploaded earlier). */
  put(path: string, content: Uint8Array): Promise<void>;
  read(path: string): Promise<Buffer>;
  /** Changes one byte of a stored file in place: a silently corrupted replica. */
  corrupt(path: string, offset?: number): Promise<void>;
  /** Freezes the server (SIGSTOP): connections are accepted by the kernel and never answered. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startXrootdSE(options: { name: string; host: Issued; ca: Issued }): Promise<XrootdSE> {
  if (!XROOTD) throw new Error(xrootdMissing()!);
  const dir = await mkdtemp(join(tmpdir(), `xrootd-${options.name}-`));
  const dataDir = join(dir, 'data');
  for (const sub of ['data', 'admin', 'run']) await mkdir(join(dir, sub), { recursive: true });
  const user = xrootdUser();
  await writeFile(join(dir, 'host.pem'), options.host.certPem);
  await writeFile(join(dir, 'host.key'), options.host.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'ca.pem'), options.ca.certPem);
  const rootPort = await freePort();
  const httpsPort = await freePort();
  const cfg = [
    `xrd.port ${rootPort}`,
    // Only loopback clients; the listener itself binds every interface (XRootD has no bind address).
    'xrd.allow host localhost',
    'all.export /',
    `oss.localroot ${dataDir}`,
    `all.adminpath ${join(dir, 'admin')}`,
    `all.pidpath ${join(dir, 'run')}`,
    'xrootd.chksum adler32',
    `xrd.tls ${join(dir, 'host.pem')} ${join(dir, 'host.key')}`,
    `xrd.tlsca certfile ${join(dir, 'ca.pem')}`,
    `xrd.protocol XrdHttp:${httpsPort} libXrdHttp.so`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'xrootd.cfg'), cfg);
  const chownTree = async (): Promise<void> => {
    if (user) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
  };
  await chownTree();
  const args = [...(user ? ['-R', user.name] : []), '-c', join(dir, 'xrootd.cfg'), '-l', join(dir, 'xrootd.log'), '-n', options.name];
  const child: ResultPromise = execa(XROOTD, args, { reject: false, stdio: 'ignore', cleanup: true });
  let exited = false;
  void child.then(() => {
    exited = true;
  });
  // Bounded wait for both listeners.
  for (let i = 0; i < 100 && !exited; i++) {
    if ((await accepts(rootPort)) && (await accepts(httpsPort))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exited || !(await accepts(rootPort))) {
    const log = await readFile(join(dir, 'xrootd.log'), 'utf8').catch(() => '');
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`xrootd ${options.name} did not start: ${log.split('\n').slice(-5).join(' | ')}`);
  }

  const se: XrootdSE = {
    name: options.name,
    pid: child.pid,
    rootPort,
    httpsPort,
    dataDir,
    rootUrl: (path) => `root://127.0.0.1:${rootPort}/${path}`,
    httpsUrl: (path) => `https://localhost:${httpsPort}${path}`,
    async put(path, content) {
      const file = join(dataDir, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
      await chownTree();
    },
    read: (path) => readFile(join(dataDir, path)),
    async corrupt(path, offset = 0) {
      const handle = await open(join(dataDir, path), 'r+');
      try {
        const byte = Buffer.alloc(1);
        await handle.read(byte, 0, 1, offset);
        byte[0] = byte[0]! ^ 0x01;
        await handle.write(byte, 0, 1, offset);
      } finally {
        await handle.close();
      }
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await child;
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return se;
}

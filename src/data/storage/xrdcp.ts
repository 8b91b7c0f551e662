/**
 * root:// storage through the node's xrdcp (XRootD client): from PATH, else from the usual CVMFS
 * grid UI locations. The catalog's Adler-32 is handed to xrdcp (--cksum adler32:<hex>), which
 * checks the copy end to end; an absent xrdcp is one line naming it.
 */
import { access, constants, rm, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { execa } from 'execa';
import { DataError } from '../errors.js';
import type { StorageProtocol, TransferOptions, TransferResult } from './transfer.js';

/** Grid UI trees on CVMFS that carry an xrdcp (with its libraries beside it). */
export const CVMFS_XRDCP = [
  '/cvmfs/grid.cern.ch/alma9-ui-current/usr/bin/xrdcp',
  '/cvmfs/grid.cern.ch/el9-ui-current/usr/bin/xrdcp',
  '/cvmfs/grid.cern.ch/centos7-ui-current/usr/bin/xrdcp',
];

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function findXrdcp(env: NodeJS.ProcessEnv = process.env, cvmfs: readonly string[] = CVMFS_XRDCP): Promise<{ path: string; fromCvmfs: boolean } | null> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'xrdcp');
    if (await executable(candidate)) return { path: candidate, fromCvmfs: false };
  }
  for (const candidate of cvmfs) if (await executable(candidate)) return { path: candidate, fromCvmfs: true };
  return null;
}

export interface XrdcpOptions {
  /** An explicit xrdcp; otherwise PATH, then CVMFS. */
  binary?: string;
  env?: NodeJS.ProcessEnv;
  /** Where to look after PATH (default CVMFS_XRDCP). */
  cvmfs?: readonly string[];
}

/** The exit status xrdcp 5.5 gives a checksum mismatch ("[ERROR] CheckSum error"). */
const CHECKSUM_EXIT = 53;

export function xrdcpProtocol(options: XrdcpOptions = {}): StorageProtocol {
  let located: Promise<{ path: string; fromCvmfs: boolean } | null> | undefined;
  const locate = async (): Promise<{ path: string; fromCvmfs: boolean }> => {
    located ??= options.binary ? Promise.resolve({ path: options.binary, fromCvmfs: false }) : findXrdcp(options.env, options.cvmfs);
    const found = await located;
    if (!found) throw new DataError('missing-tool', `xrdcp not found (PATH, ${(options.cvmfs ?? CVMFS_XRDCP).join(', ') || 'no CVMFS locations'}): root:// storage needs the XRootD client`);
    return found;
  };

  const run = async (args: string[], transfer: TransferOptions, cleanup: string | null): Promise<void> => {
    const { path, fromCvmfs } = await locate();
    const seconds = Math.max(1, Math.ceil(transfer.timeoutMs / 1000));
    const env: NodeJS.ProcessEnv = {
      ...(options.env ?? process.env),
      // Fail over to the next replica quickly instead of XRootD's 5 retries in a 120 s window.
      XRD_CONNECTIONRETRY: '1',
      XRD_CONNECTIONWINDOW: String(Math.min(seconds, 30)),
      XRD_REQUESTTIMEOUT: String(seconds),
      XRD_STREAMTIMEOUT: String(seconds),
      XRD_TIMEOUTRESOLUTION: '1',
    };
    if (transfer.credentials.proxyPath) env.X509_USER_PROXY = transfer.credentials.proxyPath;
    if (transfer.credentials.caDir) env.X509_CERT_DIR = transfer.credentials.caDir;
    if (transfer.credentials.bearerToken) env.BEARER_TOKEN = transfer.credentials.bearerToken;
    if (fromCvmfs) env.LD_LIBRARY_PATH = [join(dirname(dirname(path)), 'lib64'), env.LD_LIBRARY_PATH].filter(Boolean).join(delimiter);
    const result = await execa(path, ['--nopbar', ...args], {
      env,
      extendEnv: false,
      reject: false,
      // The whole copy may take long; a hung one is caught by the XRootD stream timeout above.
      cancelSignal: transfer.signal,
      forceKillAfterDelay: 2000,
      stdin: 'ignore',
      all: true,
      maxBuffer: 256 * 1024,
    });
    if (result.exitCode === 0) return;
    if (cleanup) await rm(cleanup, { force: true });
    if (transfer.signal.aborted) throw new DataError('aborted', 'stopped: the pilot is shutting down');
    const text = String(result.all ?? '').trim();
    const line = text.split('\n').filter((l) => /ERROR|FATAL/.test(l)).pop() ?? text.split('\n').pop() ?? '';
    const what = `xrdcp exited ${result.exitCode ?? result.signal}: ${line.replace(/^Run:\s*/, '')}`;
    if (result.exitCode === CHECKSUM_EXIT || /checksum error/i.test(text)) throw new DataError('corrupt', what);
    if (/no such file|3011\]/i.test(text)) throw new DataError('not-found', what);
    if (/operation expired|timed? ?out|socket timeout/i.test(text)) throw new DataError('timeout', what);
    if (/connection (error|refused)|\[FATAL\]/i.test(text)) throw new DataError('unreachable', what);
    if (/permission denied|not authorized|auth/i.test(text)) throw new DataError('denied', what);
    throw new DataError('other', what);
  };

  const cksum = (transfer: TransferOptions): string[] => (transfer.expectedAdler32 ? ['--cksum', `adler32:${transfer.expectedAdler32.toLowerCase()}`] : []);

  return {
    async download(url, dest, transfer): Promise<TransferResult> {
      await run([...cksum(transfer), url, dest], transfer, dest);
      const size = (await stat(dest)).size;
      return { size, adler32: transfer.expectedAdler32 ? transfer.expectedAdler32.toLowerCase().padStart(8, '0') : null };
    },
    async upload(source, url, transfer): Promise<TransferResult> {
      // --posc: the server drops the file unless it was closed after a complete copy; -p makes the path.
      await run(['--force', '--posc', '--path', ...cksum(transfer), source, url], transfer, null);
      return { size: (await stat(source)).size, adler32: transfer.expectedAdler32 ? transfer.expectedAdler32.toLowerCase().padStart(8, '0') : null };
    },
  };
}

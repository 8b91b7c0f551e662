/**
 * root:// storage through the node's xrdcp (XRootD client): from PATH, else from the usual CVMFS
 * grid UI locations. Downloads: xrdcp writes to its stdout, which is the new file the pilot opened
 * (so nothing is opened through a name the job could have planted), and the pilot reads the file
 * back as it grows, summing it (Adler-32); uploads hand xrdcp the file's Adler-32
 * (--cksum adler32:<hex>), which it checks against the server's. An absent xrdcp is one line
 * naming it.
 */
import { access, constants, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { execa } from 'execa';
import { Adler32, sameAdler32 } from '../adler32.js';
import { DataError, asDataError } from '../errors.js';
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

export async function findXrdcp(
  env: NodeJS.ProcessEnv = process.env,
  cvmfs: readonly string[] = CVMFS_XRDCP,
): Promise<{ path: string; fromCvmfs: boolean } | null> {
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

/** Bytes per read of the file xrdcp is writing (it writes 8 MiB at a time). */
const FOLLOW_READ_BYTES = 1024 * 1024;
/** How long the reader waits when it has caught up with xrdcp. */
const FOLLOW_WAIT_MS = 10;

/**
 * Sums the file `handle` as xrdcp writes it, from its start, until xrdcp has exited (`exited()`)
 * and every byte is read. xrdcp writes its stdout in order with write(2) (checked with strace:
 * 8 MiB writes, no seeks), and a read never returns bytes past the end the writes reached, so each
 * byte read is final. Reading positions (pread) leave the offset xrdcp writes at alone.
 */
async function followSum(handle: FileHandle, exited: () => boolean, wake: (w: (() => void) | null) => void): Promise<TransferResult> {
  const sum = new Adler32();
  const buffer = Buffer.allocUnsafe(FOLLOW_READ_BYTES);
  let position = 0;
  for (;;) {
    const over = exited();
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead > 0) {
      sum.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
      continue;
    }
    if (over) return { size: position, adler32: sum.hex() };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FOLLOW_WAIT_MS);
      wake(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    wake(null);
  }
}

/** The exit status xrdcp 5.5 gives a checksum mismatch ("[ERROR] CheckSum error"). */
const CHECKSUM_EXIT = 53;

/**
 * Variables by which XRootD's client finds credentials of its own (WLCG token discovery, X.509):
 * in the pilot's environment they are the pilot's, and a job's data moves with the job owner's
 * credentials (TransferOptions.credentials) or none, never the pilot's: the job would otherwise
 * read or write where only the pilot may. Tokens, secrets and the pilot's own variables go too
 * (the same rule as the payload environment's).
 */
const PILOT_CREDENTIAL_VARIABLES =
  /^(BEARER_TOKEN|BEARER_TOKEN_FILE|X509_USER_PROXY|X509_USER_CERT|X509_USER_KEY)$|TOKEN|SECRET|PASSWORD|CREDENTIAL|^DIRACX_|^PILOT_/i;

export function withoutPilotCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !PILOT_CREDENTIAL_VARIABLES.test(name)));
}

export function xrdcpProtocol(options: XrdcpOptions = {}): StorageProtocol {
  let located: Promise<{ path: string; fromCvmfs: boolean } | null> | undefined;
  const locate = async (): Promise<{ path: string; fromCvmfs: boolean }> => {
    located ??= options.binary ? Promise.resolve({ path: options.binary, fromCvmfs: false }) : findXrdcp(options.env, options.cvmfs);
    const found = await located;
    if (!found)
      throw new DataError(
        'missing-tool',
        `xrdcp not found (PATH, ${(options.cvmfs ?? CVMFS_XRDCP).join(', ') || 'no CVMFS locations'}): root:// storage needs the XRootD client`,
      );
    return found;
  };

  const environment = (transfer: TransferOptions, path: string, fromCvmfs: boolean): NodeJS.ProcessEnv => {
    const seconds = Math.max(1, Math.ceil(transfer.timeoutMs / 1000));
    const env: NodeJS.ProcessEnv = {
      ...withoutPilotCredentials(options.env ?? process.env),
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
    return env;
  };

  const failure = (
    result: { exitCode?: number; signal?: string; all?: unknown; stderr?: unknown },
    transfer: TransferOptions,
  ): DataError => {
    if (transfer.signal.aborted) return new DataError('aborted', 'stopped: the pilot is shutting down');
    const text = String(result.all ?? result.stderr ?? '').trim();
    const line =
      text
        .split('\n')
        .filter((l) => /ERROR|FATAL/.test(l))
        .pop() ??
      text.split('\n').pop() ??
      '';
    const what = `xrdcp exited ${result.exitCode ?? result.signal}: ${line.replace(/^Run:\s*/, '')}`;
    if (result.exitCode === CHECKSUM_EXIT || /checksum error/i.test(text)) return new DataError('corrupt', what);
    if (/no such file|3011\]/i.test(text)) return new DataError('not-found', what);
    if (/operation expired|timed? ?out|socket timeout/i.test(text)) return new DataError('timeout', what);
    if (/connection (error|refused)|\[FATAL\]/i.test(text)) return new DataError('unreachable', what);
    if (/permission denied|not authorized|auth/i.test(text)) return new DataError('denied', what);
    return new DataError('other', what);
  };

  /** How every xrdcp runs: its own environment, stopped by the pilot's signal, output bounded. */
  const runOptions = (transfer: TransferOptions, path: string, fromCvmfs: boolean) =>
    ({
      env: environment(transfer, path, fromCvmfs),
      extendEnv: false,
      reject: false,
      // The whole copy may take long; a hung one is caught by the XRootD stream timeout above.
      cancelSignal: transfer.signal,
      forceKillAfterDelay: 2000,
      stdin: 'ignore',
      maxBuffer: 256 * 1024,
    }) as const;

  const run = async (args: string[], transfer: TransferOptions, cleanup: string | null): Promise<void> => {
    const { path, fromCvmfs } = await locate();
    const result = await execa(path, ['--nopbar', ...args], { ...runOptions(transfer, path, fromCvmfs), all: true });
    if (result.exitCode === 0) return;
    if (cleanup) await rm(cleanup, { force: true });
    throw failure(result, transfer);
  };

  const cksum = (transfer: TransferOptions): string[] =>
    transfer.expectedAdler32 ? ['--cksum', `adler32:${transfer.expectedAdler32.toLowerCase()}`] : [];

  return {
    async download(url, dest, transfer): Promise<TransferResult> {
      // xrdcp writes to its stdout, the new file (wx+: never an existing file, never through a
      // symlink); the pilot sums it as it grows: one write and one read of each byte, where a pipe
      // to the pilot cost a copy more and 64 KiB pieces through JavaScript (docs/data.md), and
      // where `--cksum` would make xrdcp read the whole copy again after the transfer.
      const { path, fromCvmfs } = await locate();
      let handle: FileHandle;
      try {
        handle = await open(dest, 'wx+', 0o644);
      } catch (error) {
        // Nothing of ours to remove: an existing file stays as it is.
        throw asDataError(error);
      }
      let written: TransferResult | null = null;
      let result;
      try {
        const child = execa(path, ['--nopbar', url, '-'], {
          ...runOptions(transfer, path, fromCvmfs),
          // execa's types list file descriptors up to 9 only; it hands any one to spawn as is.
          stdout: handle.fd as 1,
          buffer: { stdout: false, stderr: true },
        });
        let exited = false;
        let waker: (() => void) | null = null;
        void child.finally(() => {
          exited = true;
          waker?.();
        });
        try {
          written = await followSum(
            handle,
            () => exited,
            (w) => (waker = w),
          );
        } catch {
          // A read error: the exit status or the check below says what happened.
          child.kill();
        }
        result = await child;
        if (written !== null && result.exitCode === 0) {
          const size = (await handle.stat()).size;
          if (size !== written.size) throw new DataError('other', `${url}: xrdcp wrote ${size} bytes, ${written.size} were read back`);
        }
      } catch (error) {
        await handle.close();
        await rm(dest, { force: true });
        throw error;
      }
      await handle.close();
      if (result.exitCode !== 0 || written === null) {
        await rm(dest, { force: true });
        throw failure(result, transfer);
      }
      if (transfer.expectedAdler32 && !sameAdler32(written.adler32!, transfer.expectedAdler32)) {
        await rm(dest, { force: true });
        throw new DataError('corrupt', `${url}: Adler-32 ${written.adler32}, expected ${transfer.expectedAdler32}`);
      }
      return written;
    },
    async upload(source, url, transfer): Promise<TransferResult> {
      // --posc: the server drops the file unless it was closed after a complete copy; -p makes the path.
      await run(['--force', '--posc', '--path', ...cksum(transfer), source, url], transfer, null);
      return {
        size: (await stat(source)).size,
        adler32: transfer.expectedAdler32 ? transfer.expectedAdler32.toLowerCase().padStart(8, '0') : null,
      };
    },
  };
}

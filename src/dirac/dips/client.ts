/**
 * DIPS client: one RPC (or one file transfer) per connection, as DIRAC's BaseClient does:
 * connect, propose `[[System/Service, setup, vo], [RPC, method], extraCredentials, version]`,
 * wait for S_OK, send `S_OK([args…])`, read the result.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { PyValue } from '../codec/index.js';
import { parseDiracResult, type DiracResult } from '../result.js';
import { DipsConnection } from './connection.js';
import { buildProposal, type WireEncoding } from './frames.js';
import { connectTls, type TlsCredentials, type TlsTarget } from './tls.js';

export interface DipsClientOptions {
  credentials: TlsCredentials;
  setup: string;
  vo: string;
  clientVersion: string;
  /** `""` with a proxy (the default), `"hosts"` with a host certificate. */
  extraCredentials?: string | readonly [string, string];
  timeoutMs?: number;
  /**
   * Aborted when every call must end now: the end of reporting after the pilot's stop signal.
   * A connection in progress or a reply awaited fails at once (SERVER_UNREACHABLE).
   */
  signal?: AbortSignal;
  encoding?: WireEncoding;
  /** Replaces the TLS connect, for tests over plain streams. */
  connect?: (target: TlsTarget) => Promise<import('node:stream').Duplex>;
}

/** DIRAC's DISET packet size for file transfers. */
const CHUNK_BYTES = 1024 * 1024;

export function dipsTarget(url: URL): { target: TlsTarget; service: string } {
  if (url.protocol !== 'dips:') throw new PilotError(ExitCode.CONFIG, `not a dips:// URL: ${url.href}`);
  const service = url.pathname.replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z]+\/[A-Za-z]+$/.test(service)) throw new PilotError(ExitCode.CONFIG, `dips URL ${url.href} does not name System/Service`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { target: { host, port: Number(url.port || 9135) }, service };
}

export class DipsClient {
  constructor(private readonly options: DipsClientOptions) {}

  private async open(url: URL, action: 'RPC' | 'FileTransfer', method: string): Promise<DipsConnection> {
    const { target, service } = dipsTarget(url);
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    const signal = this.options.signal;
    const abandoned = () =>
      new PilotError(
        ExitCode.SERVER_UNREACHABLE,
        `${url.host} ${method}: abandoned (${String((signal?.reason as Error | undefined)?.message ?? 'stopping')})`,
      );
    if (signal?.aborted) throw abandoned();
    const connecting = this.options.connect ? this.options.connect(target) : connectTls(target, this.options.credentials, timeoutMs);
    let onAbort: () => void = () => undefined;
    const stopped = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(abandoned());
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    stopped.catch(() => undefined);
    let socket;
    try {
      socket = await Promise.race([connecting, stopped]);
    } catch (error) {
      // A connection that completes after the abandon is closed at once.
      void connecting.then(
        (late) => late.destroy(),
        () => undefined,
      );
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const connection = new DipsConnection(socket, target, this.options.encoding ?? 'json', timeoutMs, undefined, signal);
    try {
      connection.send(
        buildProposal({
          service,
          setup: this.options.setup,
          vo: this.options.vo,
          action,
          method,
          extraCredentials: this.options.extraCredentials ?? '',
          clientVersion: this.options.clientVersion,
        }),
      );
      const accepted = parseDiracResult(await connection.receive('proposal reply'), `${service} ${method}`);
      if (!accepted.ok) {
        const code = accepted.errno === 1111 ? ExitCode.AUTH_REFUSED : ExitCode.SERVER_PROTOCOL;
        throw new PilotError(code, `${url.host} refused ${service}.${method}: ${accepted.message}`);
      }
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** Calls `method(...args)` on the service at `url` and returns DIRAC's result. */
  async call(url: URL, method: string, args: readonly PyValue[]): Promise<DiracResult> {
    const connection = await this.open(url, 'RPC', method);
    try {
      connection.send({ OK: true, Value: [...args] });
      return parseDiracResult(await connection.receive(`${method} reply`), `${url.pathname} ${method}`);
    } finally {
      connection.close();
    }
  }

  /**
   * FileTransfer ToClient: streams `fileId` into `destFile`, acknowledging each chunk, and checks the
   * sender's MD5. The file appears only when complete and verified.
   */
  async receiveFile(
    url: URL,
    fileId: PyValue,
    token: string,
    destFile: string,
    maxBytes = 1024 * 1024 * 1024,
  ): Promise<{ bytes: number; md5: string }> {
    const connection = await this.open(url, 'FileTransfer', 'ToClient');
    const partial = `${destFile}.part`;
    const out = createWriteStream(partial, { mode: 0o600 });
    // A write still in flight when a failure destroys the stream errors out: the failure is already
    // being handled below, so that late error is expected, not an uncaught exception.
    let writeError: Error | null = null;
    out.on('error', (error) => (writeError ??= error));
    const md5 = createHash('md5');
    let bytes = 0;
    try {
      connection.send({ OK: true, Value: [fileId, token] });
      const header = parseDiracResult(await connection.receive('transfer header reply'), 'FileTransfer ToClient');
      if (!header.ok) throw new PilotError(ExitCode.COMMAND_FAILED, `download of ${String(fileId)} refused: ${header.message}`);
      for (;;) {
        const chunk = parseDiracResult(await connection.receive('file chunk'), 'FileTransfer ToClient');
        if (!chunk.ok) throw new PilotError(ExitCode.COMMAND_FAILED, `download of ${String(fileId)} failed: ${chunk.message}`);
        const [more, data] = transferPair(chunk.value);
        if (!more) {
          const digest = md5.digest('hex');
          if (typeof data !== 'string' || data.toLowerCase() !== digest) {
            throw new PilotError(
              ExitCode.SERVER_PROTOCOL,
              `download of ${String(fileId)}: MD5 mismatch (server ${String(data)}, received ${digest})`,
            );
          }
          await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
          const final = parseDiracResult(await connection.receive('transfer result'), 'FileTransfer ToClient');
          if (!final.ok) throw new PilotError(ExitCode.COMMAND_FAILED, `download of ${String(fileId)} failed: ${final.message}`);
          await rename(partial, destFile);
          return { bytes, md5: digest };
        }
        const buf = chunkBytes(data);
        bytes += buf.length;
        if (bytes > maxBytes) throw new PilotError(ExitCode.COMMAND_FAILED, `download of ${String(fileId)} exceeds ${maxBytes} bytes`);
        md5.update(buf);
        if (!out.write(buf)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        connection.send({ OK: true, Value: null });
      }
    } catch (error) {
      if (!out.closed) await new Promise<void>((resolve) => out.destroy().once('close', () => resolve()));
      await rm(partial, { force: true });
      throw writeError && !(error instanceof PilotError) ? writeError : error;
    } finally {
      connection.close();
    }
  }

  /** FileTransfer FromClient: sends `srcFile` in 1 MiB chunks, each acknowledged, then its MD5. */
  async sendFile(url: URL, fileId: PyValue, token: string, srcFile: string): Promise<DiracResult> {
    const size = (await stat(srcFile)).size;
    const connection = await this.open(url, 'FileTransfer', 'FromClient');
    try {
      connection.send({ OK: true, Value: [fileId, token, size] });
      const header = parseDiracResult(await connection.receive('transfer header reply'), 'FileTransfer FromClient');
      if (!header.ok) return header;
      const md5 = createHash('md5');
      for await (const piece of createReadStream(srcFile, { highWaterMark: CHUNK_BYTES })) {
        const buf = piece as Buffer;
        md5.update(buf);
        connection.send({ OK: true, Value: [true, new Uint8Array(buf)] });
        const ack = parseDiracResult(await connection.receive('chunk acknowledgement'), 'FileTransfer FromClient');
        if (!ack.ok) return ack;
      }
      connection.send({ OK: true, Value: [false, md5.digest('hex')] });
      return parseDiracResult(await connection.receive('transfer result'), 'FileTransfer FromClient');
    } finally {
      connection.close();
    }
  }
}

function transferPair(value: unknown): [boolean, unknown] {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'boolean') {
    throw new PilotError(ExitCode.SERVER_PROTOCOL, 'FileTransfer: chunk is not [bool, data]');
  }
  return [value[0], value[1]];
}

/** A chunk arrives as bytes (JEncode b64 marker) or, from DEncode, as a surrogate-escaped str. */
function chunkBytes(data: unknown): Buffer {
  if (data instanceof Uint8Array) return Buffer.from(data);
  if (typeof data === 'string') {
    const bytes: number[] = [];
    for (const char of data) {
      const code = char.codePointAt(0)!;
      if (code >= 0xdc80 && code <= 0xdcff) bytes.push(code - 0xdc00);
      else bytes.push(...Buffer.from(char, 'utf8'));
    }
    return Buffer.from(bytes);
  }
  throw new PilotError(ExitCode.SERVER_PROTOCOL, 'FileTransfer: chunk data is neither bytes nor text');
}

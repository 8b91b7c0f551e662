/**
 * One DIPS conversation over a connected socket: frames out, frames in, keep-alive pings answered
 * transparently, every read bounded by a timeout.
 */
import type { Duplex } from 'node:stream';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { PyValue } from '../codec/index.js';
import { FrameReader, decodePayload, encodeFrame, encodeKeepAlive, type WireEncoding } from './frames.js';
import { classifySocketError, type TlsTarget } from './tls.js';

export class DipsConnection {
  private readonly reader: FrameReader;
  private readonly queue: PyValue[] = [];
  private waiter: { resolve: (v: PyValue) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  /** Whether the last frame received was DEncode (a v8 peer), so a server can answer in kind. */
  peerSentDEncode = false;

  constructor(
    private readonly socket: Duplex,
    private readonly target: TlsTarget,
    public encoding: WireEncoding,
    private readonly timeoutMs: number,
    maxFrameBytes?: number,
    /** Aborted: the conversation fails at once and the socket is closed (the pilot is stopping). */
    private readonly signal?: AbortSignal,
  ) {
    this.reader = new FrameReader(maxFrameBytes);
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted) this.onAbort();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(classifySocketError(error, target)));
    socket.on('close', () =>
      this.fail(new PilotError(ExitCode.SERVER_PROTOCOL, `${this.where}: connection closed by the server mid-call`)),
    );
  }

  private readonly onAbort = (): void => {
    const why = (this.signal?.reason as Error | undefined)?.message ?? 'stopping';
    this.fail(new PilotError(ExitCode.SERVER_UNREACHABLE, `${this.where}: abandoned (${why})`));
    this.socket.destroy();
  };

  private get where(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  private onData(chunk: Buffer): void {
    let frames;
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      this.fail(new PilotError(ExitCode.SERVER_PROTOCOL, `${this.where}: ${(error as Error).message}`));
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      let value: PyValue;
      this.peerSentDEncode = /^[dlti]/.test(frame.payload.subarray(0, 1).toString('latin1'));
      try {
        value = decodePayload(frame.payload);
      } catch (error) {
        this.fail(new PilotError(ExitCode.SERVER_PROTOCOL, `${this.where}: undecodable DIPS payload (${(error as Error).message})`));
        return;
      }
      if (frame.keepAlive) {
        this.answerKeepAlive(value);
        continue;
      }
      if (this.waiter) {
        const { resolve } = this.waiter;
        this.waiter = undefined;
        resolve(value);
      } else {
        this.queue.push(value);
      }
    }
  }

  private answerKeepAlive(value: PyValue): void {
    const ping = (value as { Value?: { id?: unknown; kaping?: unknown } } | null)?.Value;
    if (ping && ping.kaping === true && typeof ping.id === 'string') {
      this.socket.write(encodeKeepAlive(ping.id, false, this.encoding));
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    if (this.waiter) {
      const { reject } = this.waiter;
      this.waiter = undefined;
      reject(error);
    }
  }

  send(value: PyValue): void {
    if (this.failure) throw this.failure;
    this.socket.write(encodeFrame(value, this.encoding));
  }

  receive(what: string): Promise<PyValue> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new PilotError(ExitCode.SERVER_UNREACHABLE, `${this.where}: no ${what} within ${this.timeoutMs} ms`));
        this.socket.destroy();
      }, this.timeoutMs);
      this.waiter = {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.socket.removeAllListeners('close');
    this.socket.end();
    this.socket.destroy();
  }
}

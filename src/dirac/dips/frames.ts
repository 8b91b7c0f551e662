/**
 * DISET framing (Core/DISET/private/Transports/BaseTransport.py): each message is
 * `<decimal length>:<payload>`, keep-alives are `dka` + a frame, and the payload is JEncode JSON
 * (v9 default) or DEncode (v8). The receiver tries DEncode first and falls back to JSON, exactly
 * as MixedEncode.decode does.
 */
import { CodecError, ddecode, dencode, jdecode, jencode, type DecodeOptions, type PyValue } from '../codec/index.js';

export type WireEncoding = 'json' | 'dencode';

/** Largest frame we accept; DIRAC sandboxes travel in chunks, so replies stay far below this. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export function encodePayload(value: PyValue, encoding: WireEncoding = 'json'): Buffer {
  return encoding === 'json' ? Buffer.from(jencode(value), 'utf8') : dencode(value);
}

export function encodeFrame(value: PyValue, encoding: WireEncoding = 'json'): Buffer {
  const payload = encodePayload(value, encoding);
  return Buffer.concat([Buffer.from(`${payload.length}:`, 'latin1'), payload]);
}

export function encodeKeepAlive(id: string, ping: boolean, encoding: WireEncoding = 'json'): Buffer {
  return Buffer.concat([Buffer.from('dka', 'latin1'), encodeFrame({ OK: true, Value: { id, kaping: ping } }, encoding)]);
}

/** MixedEncode.decode on bytes: DEncode when it parses, else JSON; a payload neither reads is an error. */
export function decodePayload(payload: Buffer, options: DecodeOptions = {}): PyValue {
  try {
    return ddecode(payload, options).value;
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
  }
  return jdecode(payload.toString('utf8'), options).value;
}

export interface Frame {
  keepAlive: boolean;
  payload: Buffer;
}

/** Incremental frame parser for a byte stream; bad framing throws a one-line FrameError. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {}

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === undefined) return frames;
      frames.push(frame);
    }
  }

  get pending(): number {
    return this.buffer.length;
  }

  private next(): Frame | undefined {
    let offset = 0;
    const keepAlive = this.buffer.subarray(0, 3).toString('latin1') === 'dka';
    if (keepAlive) offset = 3;
    else if (this.buffer.length < 3 && 'dka'.startsWith(this.buffer.toString('latin1')) && this.buffer.length > 0) return undefined;
    // DIRAC looks for ':' within the first 10 bytes only.
    const head = this.buffer.subarray(offset, offset + 10);
    const colon = head.indexOf(0x3a);
    if (colon < 0) {
      if (head.length >= 10 || !/^\d*$/.test(head.toString('latin1'))) {
        throw new FrameError(`DIPS: malformed frame header ${JSON.stringify(head.toString('latin1'))}`);
      }
      return undefined;
    }
    const lengthText = head.subarray(0, colon).toString('latin1');
    if (!/^\d+$/.test(lengthText)) throw new FrameError(`DIPS: malformed frame length ${JSON.stringify(lengthText)}`);
    const length = Number(lengthText);
    if (length > this.maxBytes) throw new FrameError(`DIPS: frame of ${length} bytes exceeds the ${this.maxBytes}-byte limit`);
    const start = offset + colon + 1;
    if (this.buffer.length < start + length) return undefined;
    const payload = this.buffer.subarray(start, start + length);
    this.buffer = this.buffer.subarray(start + length);
    return { keepAlive, payload };
  }
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export interface ProposalOptions {
  /** `System/Component`, e.g. `WorkloadManagement/Matcher`. */
  service: string;
  setup: string;
  vo: string;
  action: 'RPC' | 'FileTransfer';
  /** RPC method, or `ToClient` / `FromClient` for file transfers. */
  method: string;
  /** `""` for a proxy, `"hosts"` for a host certificate, `[DN, group]` for delegation. */
  extraCredentials: string | readonly [string, string];
  clientVersion: string;
}

/** BaseClient._proposeAction: S_OK([[service, setup, vo], [action, method], extraCredentials, version]). */
export function buildProposal(p: ProposalOptions): PyValue {
  const extra = typeof p.extraCredentials === 'string' ? p.extraCredentials : [...p.extraCredentials];
  return { OK: true, Value: [[p.service, p.setup, p.vo], [p.action, p.method], extra, p.clientVersion] };
}

/** The sender's choice, as MixedEncode.encode makes it from DIRAC_USE_JSON_ENCODE (default yes). */
export function encodingFromEnv(value: string | undefined): WireEncoding {
  return value === undefined || ['yes', 'true'].includes(value.toLowerCase()) ? 'json' : 'dencode';
}

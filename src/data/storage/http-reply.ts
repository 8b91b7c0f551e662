/**
 * An HTTP/1.1 reply parser of the pilot's own, for its storage transfers (https.ts): the status
 * line, the headers (bounded), and the body framed by Content-Length, by chunks, or by the
 * connection's end. It is fed what the socket reads and hands out the body as views of those
 * reads, with no copy and no stream between: undici's llhttp (a copy of each 16 KiB piece into its
 * WebAssembly memory, then its body stream) cost the https download about twice curl's CPU
 * (docs/data.md). Anything out of shape is one line naming the problem (a DataError): the caller
 * puts the method and URL in front.
 */
import { DataError } from '../errors.js';

/** Status line and headers together; a server sending more is refused. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line with its extensions. */
const MAX_CHUNK_LINE_BYTES = 4096;
/** Trailers after the last chunk. */
const MAX_TRAILER_BYTES = 16 * 1024;

export interface ReplyHead {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

export interface ReplyHandlers {
  /** The final (non-1xx) head; false stops the parsing there (the caller closes the connection). */
  onHead(head: ReplyHead): boolean;
  /** A piece of the body: a view of the buffer fed, valid only during the call. */
  onBody(piece: Uint8Array): void;
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
  Stopped,
}

/** A reply out of shape. */
function malformed(what: string): DataError {
  return new DataError('other', `malformed reply: ${what}`);
}

/** A short, single-line quote of what the server sent. */
function quote(bytes: Uint8Array | string): string {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('latin1');
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9][0-9]{2})(?: [^\r\n]*)?$/;

export class ReplyParser {
  private state = State.Head;
  /** Bytes of a head (or a chunk-size line, or trailers) not yet complete. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Body bytes left: of the Content-Length, or of the current chunk. */
  private left = 0;
  /** Body bytes handed out. */
  received = 0;
  /** The Content-Length, when the body is framed by one. */
  expected: number | null = null;
  head: ReplyHead | null = null;

  constructor(
    private readonly method: string,
    private readonly handlers: ReplyHandlers,
  ) {}

  /** The whole reply is in (what comes after it is refused). */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** Parses what the socket read; throws a DataError on a reply out of shape. */
  feed(data: Uint8Array): void {
    let at = 0;
    const n = data.length;
    while (at < n) {
      switch (this.state) {
        case State.Length:
          at = this.counted(data, at, State.Done);
          break;
        case State.UntilClose:
          this.handlers.onBody(at === 0 ? data : data.subarray(at));
          this.received += n - at;
          return;
        case State.ChunkData:
          at = this.counted(data, at, State.ChunkEnd);
          break;
        case State.Head:
          at = this.headBytes(data, at);
          break;
        case State.ChunkSize:
        case State.ChunkEnd:
        case State.Trailers:
          at = this.lineBytes(data, at);
          break;
        case State.Done:
          throw malformed(
            this.expected !== null
              ? `${n - at} bytes after the body's ${this.expected} (Content-Length)`
              : `${n - at} bytes after the last chunk`,
          );
        case State.Stopped:
          return;
      }
    }
  }

  /** The connection ended: throws unless the reply was whole (or its body runs to the end). */
  end(): void {
    switch (this.state) {
      case State.Done:
      case State.Stopped:
        return;
      case State.UntilClose:
        this.state = State.Done;
        return;
      case State.Head:
        throw new DataError(
          'unreachable',
          this.pendingBytes === 0 ? 'the connection closed before a reply' : 'the connection closed in the middle of the reply headers',
        );
      case State.Length:
        throw new DataError('unreachable', `the connection closed after ${this.received} of ${this.expected} body bytes`);
      default:
        throw new DataError('unreachable', `the connection closed in the middle of a chunked body (after ${this.received} bytes)`);
    }
  }

  /** Keeps bytes of an incomplete line or head, within `limit`. */
  private keep(bytes: Uint8Array, limit: number, what: string): void {
    this.pendingBytes += bytes.length;
    if (this.pendingBytes > limit) throw malformed(`${what} over ${limit / 1024} KiB`);
    this.pending.push(Buffer.from(bytes));
  }

  private takePending(tail: Uint8Array): Buffer {
    const all = this.pending.length === 0 ? Buffer.from(tail) : Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }

  /**
   * Body bytes of a counted stretch (the Content-Length body, or one chunk): hands them on, and
   * moves to `next` when the count is met; returns where the next part starts. A read that is all
   * body goes on as it is, without a subarray.
   */
  private counted(data: Uint8Array, at: number, next: State): number {
    const take = Math.min(this.left, data.length - at);
    this.handlers.onBody(at === 0 && take === data.length ? data : data.subarray(at, at + take));
    this.received += take;
    this.left -= take;
    if (this.left === 0) this.state = next;
    return at + take;
  }

  /** Collects the head up to its blank line, then parses it; returns where the body starts. */
  private headBytes(data: Uint8Array, at: number): number {
    // The blank line may straddle two reads: look from up to 3 bytes before this one.
    const carry = lastBytes(this.pending, 3);
    const window = Buffer.concat([carry, data.subarray(at, Math.min(data.length, at + MAX_HEAD_BYTES + 4))]);
    const end = headEnd(window);
    if (end < 0) {
      this.keep(data.subarray(at), MAX_HEAD_BYTES, 'reply headers');
      return data.length;
    }
    const used = end - carry.length;
    if (this.pendingBytes + used > MAX_HEAD_BYTES) throw malformed(`reply headers over ${MAX_HEAD_BYTES / 1024} KiB`);
    const text = this.takePending(data.subarray(at, at + used)).toString('latin1');
    this.parseHead(text);
    return at + used;
  }

  private parseHead(text: string): void {
    const lines = text.replace(/\r?\n\r?\n$/, '').split(/\r?\n/);
    const statusLine = lines[0] ?? '';
    const m = STATUS_LINE.exec(statusLine);
    if (!m) throw malformed(`status line ${quote(statusLine)}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      if (/^[ \t]/.test(line)) throw malformed(`folded header line ${quote(line)}`);
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN.test(name)) throw malformed(`header line ${quote(line)}`);
      const key = name.toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    if (status < 200) {
      // 100 Continue and other interim replies: the real one follows.
      if (status === 101) throw malformed('101 Switching Protocols to a plain request');
      return;
    }
    this.head = { status, headers };
    if (!this.handlers.onHead(this.head)) {
      this.state = State.Stopped;
      return;
    }
    this.state = this.framing(status, headers);
  }

  /** How the body is delimited (RFC 9112 §6.3). */
  private framing(status: number, headers: Record<string, string>): State {
    if (this.method === 'HEAD' || status === 204 || status === 304) return State.Done;
    const coding = headers['transfer-encoding'];
    if (coding !== undefined) {
      const codings = coding
        .toLowerCase()
        .split(',')
        .map((c) => c.trim());
      if (codings.length !== 1 || codings[0] !== 'chunked') throw malformed(`Transfer-Encoding ${quote(coding)} (only chunked is read)`);
      return State.ChunkSize;
    }
    const length = headers['content-length'];
    if (length !== undefined) {
      const values = new Set(length.split(',').map((v) => v.trim()));
      const [value] = values;
      if (values.size !== 1 || !/^[0-9]{1,15}$/.test(value!)) throw malformed(`Content-Length ${quote(length)}`);
      this.expected = Number(value);
      this.left = this.expected;
      return this.left === 0 ? State.Done : State.Length;
    }
    return State.UntilClose;
  }

  /** Chunk-size lines, the CRLF after a chunk's data, and trailers: line by line. */
  private lineBytes(data: Uint8Array, at: number): number {
    const lf = data.indexOf(10, at);
    const limit = this.state === State.Trailers ? MAX_TRAILER_BYTES : MAX_CHUNK_LINE_BYTES;
    const what =
      this.state === State.Trailers ? 'trailers' : this.state === State.ChunkEnd ? 'the line after a chunk' : 'a chunk-size line';
    if (lf < 0) {
      this.keep(data.subarray(at), limit, what);
      return data.length;
    }
    const line = this.takePending(data.subarray(at, lf + 1))
      .toString('latin1')
      .replace(/\r?\n$/, '');
    if (this.state === State.ChunkEnd) {
      if (line !== '') throw malformed(`chunk data longer than its size (then ${quote(line)})`);
      this.state = State.ChunkSize;
    } else if (this.state === State.ChunkSize) {
      const m = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/.exec(line);
      if (!m) throw malformed(`chunk size ${quote(line)}`);
      this.left = parseInt(m[1]!, 16);
      this.state = this.left === 0 ? State.Trailers : State.ChunkData;
    } else {
      // Trailers are read and dropped; the blank line ends the reply.
      if (line === '') this.state = State.Done;
      else this.keepTrailerCount(line.length + 2);
    }
    return lf + 1;
  }

  private trailerBytes = 0;
  private keepTrailerCount(bytes: number): void {
    this.trailerBytes += bytes;
    if (this.trailerBytes > MAX_TRAILER_BYTES) throw malformed(`trailers over ${MAX_TRAILER_BYTES / 1024} KiB`);
  }
}

/** The last `n` bytes of pieces kept (a read may be a single byte). */
function lastBytes(pieces: Buffer[], n: number): Buffer {
  const tail: Buffer[] = [];
  let have = 0;
  for (let i = pieces.length - 1; i >= 0 && have < n; i--) {
    const piece = pieces[i]!;
    const take = piece.subarray(Math.max(0, piece.length - (n - have)));
    tail.unshift(take);
    have += take.length;
  }
  return Buffer.concat(tail);
}

/** Index just past the blank line that ends a head (CRLF CRLF, or bare LF LF), or -1. */
function headEnd(bytes: Uint8Array): number {
  for (let i = bytes.indexOf(10); i >= 0 && i < bytes.length; i = bytes.indexOf(10, i + 1)) {
    if (bytes[i + 1] === 10) return i + 2;
    if (bytes[i + 1] === 13 && bytes[i + 2] === 10) return i + 3;
  }
  return -1;
}

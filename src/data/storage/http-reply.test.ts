/**
 * The reply parser fed as a socket may cut a reply: at any byte, the head's blank line, a chunk-size
 * line or a chunk's CRLF falling across two reads. The body comes out whole and in order.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReplyParser, type ReplyHead } from './http-reply.js';

function parse(reply: Buffer, pieceBytes: number, method = 'GET'): { head: ReplyHead | null; body: Buffer; done: boolean } {
  const parts: Buffer[] = [];
  const parser = new ReplyParser(method, {
    onHead: () => true,
    onBody: (piece) => parts.push(Buffer.from(piece)),
  });
  for (let at = 0; at < reply.length; at += pieceBytes) parser.feed(reply.subarray(at, at + pieceBytes));
  return { head: parser.head, body: Buffer.concat(parts), done: parser.done };
}

describe('ReplyParser', () => {
  const body = randomBytes(20_000);
  const chunkedReply = Buffer.concat([
    Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n'),
    Buffer.from('1f40;name=value\r\n'),
    body.subarray(0, 8000),
    Buffer.from('\r\n2ee0\r\n'),
    body.subarray(8000),
    Buffer.from('\r\n0\r\nDigest: adler32=00000001\r\n\r\n'),
  ]);
  const lengthReply = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\nContent-Length: ${body.length}\n\n`), body]);

  it.each([1, 2, 3, 5, 17, 1000, 65_536])('reads the same reply cut every %i bytes', (pieceBytes) => {
    const chunked = parse(chunkedReply, pieceBytes);
    expect(chunked.head).toEqual({ status: 200, headers: { 'transfer-encoding': 'chunked', 'x-a': '1, 2' } });
    expect(chunked.body.equals(body)).toBe(true);
    expect(chunked.done).toBe(true);
    const length = parse(lengthReply, pieceBytes);
    expect(length.body.equals(body)).toBe(true);
    expect(length.done).toBe(true);
  });

  it('a HEAD reply has no body whatever its Content-Length says', () => {
    const head = parse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'), 7, 'HEAD');
    expect(head.done).toBe(true);
    expect(head.head?.headers['content-length']).toBe('1000');
  });

  it('a folded header line and a header without a name are refused', () => {
    expect(() => parse(Buffer.from('HTTP/1.1 200 OK\r\nA: 1\r\n  folded\r\n\r\n'), 100)).toThrow(/folded header line/);
    expect(() => parse(Buffer.from('HTTP/1.1 200 OK\r\n: 1\r\n\r\n'), 100)).toThrow(/header line ": 1"/);
  });
});

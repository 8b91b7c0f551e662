import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import busboy from 'busboy';
import { afterAll, describe, expect, it } from 'vitest';
import { multipartBody } from './multipart.js';

const dir = mkdtempSync(path.join(tmpdir(), 'multipart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('multipartBody', () => {
  it('is read back by a standard parser: fields in order, then the file, with the announced length', async () => {
    const file = path.join(dir, 'a.tar.zst');
    const content = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    writeFileSync(file, content);
    const body = await multipartBody(
      [
        ['key', 'sandboxes/x.tar.zst'],
        ['x-amz-signature', 'a"b\r\nc'],
      ],
      { field: 'file', filename: 'sandbox.tar.zst', path: file },
    );
    const bytes = await collect(body.open());
    expect(bytes.length).toBe(body.length);
    // A second attempt reads it again from the start.
    expect((await collect(body.open())).equals(bytes)).toBe(true);

    const seen: Array<[string, string]> = [];
    const fileChunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const parser = busboy({ headers: { 'content-type': body.contentType } });
      parser.on('field', (name, value) => seen.push([name, value]));
      parser.on('file', (name, stream, info) => {
        seen.push([name, info.filename ?? '']);
        stream.on('data', (chunk: Buffer) => fileChunks.push(chunk));
      });
      parser.on('close', resolve);
      parser.on('error', reject);
      parser.end(bytes);
    });
    expect(seen).toEqual([
      ['key', 'sandboxes/x.tar.zst'],
      ['x-amz-signature', 'a"b\r\nc'],
      ['file', 'sandbox.tar.zst'],
    ]);
    expect(Buffer.concat(fileChunks).equals(content)).toBe(true);
  });

  it('encodes quotes and line breaks in names', async () => {
    const file = path.join(dir, 'b');
    writeFileSync(file, 'x');
    const body = await multipartBody([['a"b\nc', 'v']], { field: 'f', filename: 'n"1', path: file });
    const text = (await collect(body.open())).toString();
    expect(text).toContain('name="a%22b%0Ac"');
    expect(text).toContain('filename="n%221"');
  });

  it('fails for a file that is not there', async () => {
    await expect(multipartBody([], { field: 'f', filename: 'x', path: path.join(dir, 'missing') })).rejects.toThrow(/ENOENT/);
  });
});

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

/**
 * A multipart/form-data body (RFC 7578) of text fields and one file, with its exact length known
 * up front: S3-style presigned POSTs refuse chunked uploads. `open()` streams it (the file is read
 * from disk, never buffered), once per attempt.
 */
export interface MultipartBody {
  contentType: string;
  length: number;
  open(): Readable;
}

export interface MultipartFile {
  field: string;
  filename: string;
  path: string;
  contentType?: string;
}

/** Quotes in names become %22 and line breaks %0D%0A, as browsers encode them (WHATWG). */
function quoted(name: string): string {
  return `"${name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;
}

/** The fields in order, then the file (presigned POST policies want the file last). */
export async function multipartBody(fields: ReadonlyArray<readonly [string, string]>, file: MultipartFile): Promise<MultipartBody> {
  const boundary = `----pilot${randomBytes(16).toString('hex')}`;
  const head = Buffer.from(
    fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`).join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(file.field)}; filename=${quoted(file.filename)}\r\n` +
      `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = (await stat(file.path)).size;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: head.length + size + tail.length,
    open: () =>
      Readable.from(
        (async function* () {
          yield head;
          for await (const chunk of createReadStream(file.path)) yield chunk as Buffer;
          yield tail;
        })(),
        { objectMode: false },
      ),
  };
}

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import busboy from 'busboy';
import type { Reply } from './http.js';
import type { Presigner } from './presign.js';
import type { DevServerState } from './state.js';

/** S3 answers in XML; the stub keeps the codes a client may branch on. */
function s3Error(status: number, code: string, message: string): Reply {
  return {
    status,
    raw: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    contentType: 'application/xml',
  };
}

interface Multipart {
  fields: Record<string, string>;
  file: Buffer | null;
  /** Fields that came after the file part (S3 ignores them; we refuse them). */
  lateFields: string[];
}

export function parseMultipart(headers: IncomingHttpHeaders, body: Buffer, maxFileBytes: number): Promise<Multipart> {
  return new Promise((resolve, reject) => {
    const result: Multipart = { fields: {}, file: null, lateFields: [] };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers, limits: { fileSize: maxFileBytes + 1, files: 1, fields: 50 } });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    parser.on('field', (name, value) => {
      if (result.file !== null) result.lateFields.push(name);
      result.fields[name] = value;
    });
    parser.on('file', (_name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        result.file = Buffer.concat(chunks);
      });
    });
    parser.on('error', (error) => reject(error instanceof Error ? error : new Error(String(error))));
    parser.on('close', () => resolve(result));
    parser.end(body);
  });
}

type PolicyCondition = Record<string, string> | [string, ...unknown[]];

/**
 * `POST /s3/<bucket>`: a presigned multipart upload. Checks the signature and expiry of the policy,
 * every exact-match condition, the content-length-range (DiracX pins it to the exact size) and
 * the x-amz-checksum-sha256 against the bytes actually received.
 */
export async function handleS3Upload(
  state: DevServerState,
  presigner: Presigner,
  bucket: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  maxBytes: number,
): Promise<Reply> {
  if (headers.authorization) return s3Error(400, 'InvalidArgument', 'Presigned requests must not carry an Authorization header');
  if (bucket !== state.bucket) return s3Error(404, 'NoSuchBucket', `The bucket ${bucket} does not exist`);
  let form: Multipart;
  try {
    form = await parseMultipart(headers, body, maxBytes);
  } catch (error) {
    return s3Error(
      400,
      'MalformedPOSTRequest',
      `The body of your POST request is not well-formed multipart/form-data: ${(error as Error).message}`,
    );
  }
  if (form.file === null) return s3Error(400, 'InvalidArgument', 'POST requires exactly one file upload per request');
  if (form.lateFields.length > 0)
    return s3Error(400, 'InvalidArgument', `Fields after the file part are not allowed: ${form.lateFields.join(', ')}`);
  const { policy, 'x-amz-signature': signature, key } = form.fields;
  if (!policy || !signature || !key) return s3Error(400, 'InvalidArgument', 'Missing policy, x-amz-signature or key');
  if (!presigner.check(policy, signature))
    return s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided');
  let decoded: { expiration?: string; conditions?: PolicyCondition[] };
  try {
    decoded = JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as typeof decoded;
  } catch {
    return s3Error(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON');
  }
  if (!decoded.expiration || Date.parse(decoded.expiration) < Date.now())
    return s3Error(403, 'AccessDenied', 'Invalid according to Policy: Policy expired');
  for (const condition of decoded.conditions ?? []) {
    if (Array.isArray(condition)) {
      if (condition[0] === 'content-length-range') {
        const [, min, max] = condition as [string, number, number];
        if (form.file.length < min)
          return s3Error(
            400,
            'EntityTooSmall',
            `Your proposed upload is smaller than the minimum allowed size (${form.file.length} < ${min})`,
          );
        if (form.file.length > max)
          return s3Error(400, 'EntityTooLarge', `Your proposed upload exceeds the maximum allowed size (${form.file.length} > ${max})`);
      }
      continue;
    }
    for (const [name, expected] of Object.entries(condition)) {
      const actual = name === 'bucket' ? bucket : form.fields[name];
      if (actual !== expected)
        return s3Error(403, 'AccessDenied', `Invalid according to Policy: Policy Condition failed: ["eq", "$${name}", "${expected}"]`);
    }
  }
  const digest = createHash('sha256').update(form.file);
  const checksum = form.fields['x-amz-checksum-sha256'];
  if (checksum !== undefined && digest.copy().digest('base64') !== checksum) {
    return s3Error(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
  }
  const pending = state.pendingUploads.get(key);
  if (!pending) return s3Error(403, 'AccessDenied', 'No upload was initiated for this key');
  state.objects.set(key, { data: form.file, sha256: digest.digest('hex'), size: form.file.length, namespace: pending.namespace });
  state.pendingUploads.delete(key);
  return { status: 204 };
}

/** `GET /s3/<bucket>/<key>?X-Amz-Expires&X-Amz-Signature`: a presigned download. */
export function handleS3Download(
  state: DevServerState,
  presigner: Presigner,
  bucket: string,
  key: string,
  query: Record<string, string>,
  headers: IncomingHttpHeaders,
): Reply {
  if (headers.authorization) {
    return s3Error(
      400,
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified',
    );
  }
  const expires = Number(query['X-Amz-Expires']);
  const signature = query['X-Amz-Signature'] ?? '';
  if (!Number.isFinite(expires) || !presigner.check(`GET\n${bucket}/${key}\n${expires}`, signature)) {
    return s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided');
  }
  if (expires < Math.floor(Date.now() / 1000)) return s3Error(403, 'AccessDenied', 'Request has expired');
  const object = bucket === state.bucket ? state.objects.get(key) : undefined;
  if (!object) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
  return { status: 200, raw: object.data, contentType: 'application/octet-stream' };
}

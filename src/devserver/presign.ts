import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Presigned URLs for the S3 stub, signed with a per-server HMAC key: what matters to the client is
 * that the URL alone (no Authorization header) grants access, for a limited time, to one object.
 */
export class Presigner {
  private readonly key = randomBytes(32);

  sign(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('hex');
  }

  check(text: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(text), 'hex');
    const given = Buffer.from(signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  getUrl(origin: string, bucket: string, key: string, ttlSeconds: number): string {
    const expires = Math.floor(Date.now() / 1000) + ttlSeconds;
    const signature = this.sign(`GET\n${bucket}/${key}\n${expires}`);
    return `${origin}/s3/${bucket}/${encodeURI(key)}?X-Amz-Expires=${expires}&X-Amz-Signature=${signature}`;
  }

  /** A presigned POST as boto3's generate_presigned_post shapes it, with DiracX's conditions. */
  postForm(
    origin: string,
    bucket: string,
    key: string,
    size: number,
    sha256Hex: string,
    ttlSeconds: number,
  ): { url: string; fields: Record<string, string> } {
    const checksum = Buffer.from(sha256Hex, 'hex').toString('base64');
    const policy = {
      expiration: new Date(Date.now() + ttlSeconds * 1000).toISOString(),
      conditions: [
        { bucket },
        { key },
        ['content-length-range', size, size],
        { 'x-amz-checksum-algorithm': 'SHA256' },
        { 'x-amz-checksum-sha256': checksum },
      ],
    };
    const encodedPolicy = Buffer.from(JSON.stringify(policy)).toString('base64');
    return {
      url: `${origin}/s3/${bucket}`,
      fields: {
        key,
        'x-amz-checksum-algorithm': 'SHA256',
        'x-amz-checksum-sha256': checksum,
        policy: encodedPolicy,
        'x-amz-signature': this.sign(encodedPolicy),
      },
    };
  }
}

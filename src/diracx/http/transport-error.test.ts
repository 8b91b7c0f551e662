import { describe, expect, it } from 'vitest';
import { classifyTransportError } from './transport-error.js';

const nodeError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('transport error classification', () => {
  it('refused, DNS and connect timeouts never reached the server', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'CONNECT_TIMEOUT', 'EHOSTUNREACH']) {
      expect(classifyTransportError(nodeError(code, `${code} x`), 'GET http://h/x').failure).toBe('not-sent');
    }
  });

  it('resets and read timeouts may have reached it', () => {
    for (const code of [
      'ECONNRESET',
      'UND_ERR_SOCKET',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'READ_TIMEOUT',
      'HPE_INVALID_CONSTANT',
    ]) {
      expect(classifyTransportError(nodeError(code, 'x'), 'GET http://h/x').failure).toBe('ambiguous');
    }
    expect(classifyTransportError(new Error('something odd'), 'GET http://h/x')).toMatchObject({ failure: 'ambiguous', code: 'UNKNOWN' });
  });

  it('certificate problems are TLS failures, found also inside a wrapping error, in one line', () => {
    const wrapped = Object.assign(new Error('fetch failed'), {
      cause: nodeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate\nat line'),
    });
    const error = classifyTransportError(wrapped, 'GET https://h/x');
    expect(error).toMatchObject({ failure: 'tls', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(error.message).toBe(
      'TLS verification of GET https://h/x failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE unable to verify the first certificate',
    );
    for (const code of ['CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT']) {
      expect(classifyTransportError(nodeError(code, 'x'), 't').failure).toBe('tls');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { diracxPemBlock } from './diracx-block.js';

describe('the DIRACX block a payload proxy gets (v9 addTokenToPEM)', () => {
  it('holds base64 of {access_token, refresh_token, expires_on} in lines of 64, between the PEM markers', () => {
    const token = { access_token: 'a'.repeat(300), refresh_token: 'r', expires_in: 1200 };
    const block = diracxPemBlock(token, 1_000_000_000_000);
    const lines = block.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN DIRACX-----');
    expect(lines.at(-1)).toBe('-----END DIRACX-----');
    for (const line of lines.slice(1, -2)) expect(line).toHaveLength(64);
    const json = JSON.parse(Buffer.from(lines.slice(1, -1).join(''), 'base64').toString('utf8')) as unknown;
    expect(json).toEqual({ access_token: token.access_token, refresh_token: 'r', expires_on: 1_000_000_000 + 1200 });
  });

  it('writes a null refresh token when ProxyManager gave none', () => {
    const block = diracxPemBlock({ access_token: 'x', expires_in: 60 }, 0);
    const body = block.split('\n').slice(1, -2).join('');
    expect(JSON.parse(Buffer.from(body, 'base64').toString('utf8'))).toEqual({ access_token: 'x', refresh_token: null, expires_on: 60 });
  });
});

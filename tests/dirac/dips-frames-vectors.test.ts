/** Golden tests: DISET frames recorded from DIRAC's own RPCClient over loopback (dips-frames.json). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../src/dirac/codec/index.js';
import {
  FrameReader,
  buildProposal,
  decodePayload,
  encodeFrame,
  encodeKeepAlive,
  encodePayload,
  encodingFromEnv,
} from '../../src/dirac/dips/frames.js';
import { fromTagged, toTagged, type Tagged } from './tagged.js';

interface FrameCase {
  id: string;
  input: Record<string, Tagged> & {
    seq?: number;
    client_kwargs?: { useCertificates?: boolean; setup?: string; VO?: string; delegatedDN?: string; delegatedGroup?: string };
    rpc?: { service: string; method: string; args: Tagged[] };
    server_reply_value?: Tagged;
    DIRAC_USE_JSON_ENCODE?: string;
  };
  output: Record<string, Tagged> & { frame_hex?: string; direction?: string; client_result?: Record<string, Tagged> };
}

const cases = JSON.parse(
  readFileSync(new URL('../fixtures/dirac-legacy-vectors/dips-frames.json', import.meta.url), 'utf8'),
) as FrameCase[];
const CLIENT_VERSION = '9.0.0a32.dev13+gb5bc25cb2d';

function readOne(hex: string): { keepAlive: boolean; payload: Buffer } {
  const reader = new FrameReader();
  // Feed byte by byte: framing must not depend on how TCP splits the stream.
  const bytes = Buffer.from(hex, 'hex');
  const frames = [];
  for (let i = 0; i < bytes.length; i++) frames.push(...reader.push(bytes.subarray(i, i + 1)));
  expect(frames).toHaveLength(1);
  expect(reader.pending).toBe(0);
  return frames[0]!;
}

describe('DIPS frames golden vectors', () => {
  for (const c of cases.filter((c) => c.input.rpc)) {
    it(c.id, () => {
      const encoding = encodingFromEnv(c.input.DIRAC_USE_JSON_ENCODE);
      const kw = c.input.client_kwargs ?? {};
      const rpc = c.input.rpc!;
      const extraCredentials: string | [string, string] = kw.delegatedDN
        ? [kw.delegatedDN, kw.delegatedGroup ?? '']
        : kw.useCertificates
          ? 'hosts'
          : '';
      const expected = Buffer.from(c.output.frame_hex!, 'hex');
      const frame = readOne(c.output.frame_hex!);
      const decoded = toTagged(decodePayload(frame.payload, { exact: true }));
      if (c.input.seq === 0) {
        const proposal = buildProposal({
          service: rpc.service,
          setup: kw.setup ?? 'Test',
          vo: kw.VO ?? 'unknown',
          action: 'RPC',
          method: rpc.method,
          extraCredentials,
          clientVersion: CLIENT_VERSION,
        });
        expect(encodeFrame(proposal, encoding).toString('hex')).toBe(expected.toString('hex'));
        expect(decoded).toEqual(c.output.server_receiveData_result);
      } else if (c.input.seq === 1) {
        expect(encodeFrame({ OK: true, Value: null }, encoding).equals(expected)).toBe(true);
      } else if (c.input.seq === 2) {
        const args = rpc.args.map(fromTagged);
        expect(encodeFrame({ OK: true, Value: args }, encoding).toString('hex')).toBe(expected.toString('hex'));
        expect(decoded).toEqual(c.output.server_receiveData_result);
      } else {
        const { rpcStub: _stub, ...reply } = c.output.client_result!;
        expect(decoded).toEqual(reply);
        expect(encodeFrame(fromTagged(reply), encoding).equals(expected)).toBe(true);
      }
    });
  }

  it('json/proposal-rejected', () => {
    const c = cases.find((x) => x.id === 'json/proposal-rejected')!;
    const frame = readOne(c.output.frame_hex!);
    expect(toTagged(decodePayload(frame.payload, { exact: true }))).toEqual(c.input.value);
  });

  it('keep-alive ping and pong', () => {
    for (const id of ['keepalive/ping', 'keepalive/pong']) {
      const c = cases.find((x) => x.id === id)!;
      const frame = readOne(c.output.frame_hex!);
      expect(frame.keepAlive).toBe(true);
      const value = decodePayload(frame.payload) as { Value: { id: string; kaping: boolean } };
      expect(encodeKeepAlive(value.Value.id, value.Value.kaping).toString('hex')).toBe(c.output.frame_hex);
    }
  });

  for (const c of cases.filter((x) => x.id.startsWith('mixedencode-'))) {
    it(c.id, () => {
      if (c.id.startsWith('mixedencode-encode/')) {
        const encoding = encodingFromEnv(c.input.DIRAC_USE_JSON_ENCODE);
        expect(encodePayload(fromTagged(c.input.value!), encoding).toString('hex')).toBe(c.output.encoded_hex);
        return;
      }
      const payload =
        c.input.payload_hex !== undefined
          ? Buffer.from(c.input.payload_hex as string, 'hex')
          : Buffer.from(c.input.payload_str as string, 'utf8');
      if (c.output.decode_error) {
        expect(() => decodePayload(payload)).toThrow(CodecError);
        return;
      }
      expect(toTagged(decodePayload(payload, { exact: true }))).toEqual(c.output.decoded);
    });
  }

  it('covers every vector', () => {
    const covered = cases.filter(
      (c) => c.input.rpc || c.id.startsWith('mixedencode-') || c.id.startsWith('keepalive/') || c.id === 'json/proposal-rejected',
    );
    expect(covered).toHaveLength(cases.length);
  });
});

describe('FrameReader', () => {
  it('rejects malformed headers and oversized frames with one line', () => {
    expect(() => new FrameReader().push(Buffer.from('12345678901:x'))).toThrow(/malformed frame header/);
    expect(() => new FrameReader().push(Buffer.from('HTTP/1.1 400'))).toThrow(/malformed frame header/);
    expect(() => new FrameReader(100).push(Buffer.from('101:'))).toThrow(/exceeds the 100-byte limit/);
  });

  it('splits back-to-back frames', () => {
    const stream = Buffer.concat([encodeFrame({ OK: true }), encodeKeepAlive('x', true), encodeFrame([1, 2], 'dencode')]);
    const frames = new FrameReader().push(stream);
    expect(frames.map((f) => [f.keepAlive, decodePayload(f.payload)])).toEqual([
      [false, { OK: true }],
      [true, { OK: true, Value: { id: 'x', kaping: true } }],
      [false, [1, 2]],
    ]);
  });
});

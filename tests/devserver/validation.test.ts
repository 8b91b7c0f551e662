import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../src/devserver/timestamps.js';
import { SpecValidator, toJsonSchema } from '../../src/devserver/validation.js';

const spec = JSON.parse(readFileSync(new URL('../../spec/diracx-openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, unknown>>;
};
const validator = new SpecValidator();
const check = (method: string, path: string, body: unknown, query: Record<string, unknown> = {}) =>
  validator.validate(method, path, { query, pathParams: {}, body, bodyPresent: body !== undefined });

describe('OpenAPI → JSON Schema', () => {
  it('turns nullable into anyOf-with-null and points local refs into the spec document', () => {
    const converted = toJsonSchema({ type: 'string', nullable: true, items: { $ref: '#/components/schemas/X' } }) as { anyOf: unknown[] };
    expect(converted.anyOf[1]).toEqual({ type: 'null' });
    expect(JSON.stringify(converted)).toContain('openapi.json#/components/schemas/X');
    expect(JSON.stringify(converted)).not.toContain('nullable');
  });

  it('compiles every operation of the spec', () => {
    let count = 0;
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const method of Object.keys(methods)) {
        expect(validator.has(method.toUpperCase(), path), `${method} ${path}`).toBe(true);
        count++;
      }
    }
    expect(count).toBe(38);
  });
});

describe('request checks as FastAPI reports them', () => {
  it('accepts null for optional fields and refuses extra heartbeat fields', () => {
    expect(check('PATCH', '/api/jobs/heartbeat', { 1: { LoadAverage: null, StandardOutput: 'x' } })).toEqual([]);
    expect(check('PATCH', '/api/jobs/heartbeat', { 1: { Load: 1 } })).toEqual([
      { type: 'extra_forbidden', loc: ['body', '1', 'Load'], msg: 'Extra inputs are not permitted', input: 1 },
    ]);
    expect(check('PATCH', '/api/jobs/heartbeat', { 1: { LoadAverage: 'high' } })[0]).toMatchObject({
      type: 'float_type',
      loc: ['body', '1', 'LoadAverage'],
    });
  });

  it('reports a missing body, missing required fields and a pattern mismatch', () => {
    expect(check('POST', '/api/jobs/reschedule', undefined)).toEqual([expect.objectContaining({ type: 'missing', loc: ['body'] })]);
    expect(check('POST', '/api/pilots/', { vo: 'demo' })).toEqual([
      expect.objectContaining({ type: 'missing', loc: ['body', 'pilot_stamp'] }),
    ]);
    expect(check('GET', '/api/jobs/sandbox', undefined, { pfn: '/etc/passwd' })[0]).toMatchObject({
      type: 'string_pattern_mismatch',
      loc: ['query', 'pfn'],
    });
    expect(check('GET', '/api/jobs/sandbox', undefined, {})[0]).toMatchObject({ type: 'missing', loc: ['query', 'pfn'] });
  });

  it('coerces query flags and accepts pydantic date-times in metadata', () => {
    const query: Record<string, unknown> = { force: 'true' };
    expect(check('PATCH', '/api/jobs/status', {}, query)).toEqual([]);
    expect(query.force).toBe(true);
    expect(
      check('PATCH', '/api/jobs/metadata', {
        1: { HeartBeatTime: '2026-01-01 10:00:00.123456+00:00', StartExecTime: '2026-01-01T10:00:00' },
      }),
    ).toEqual([]);
    expect(check('PATCH', '/api/jobs/metadata', { 1: { HeartBeatTime: 'yesterday' } })).not.toEqual([]);
  });
});

describe('status timestamps', () => {
  it('tells aware from naive and keeps the instant', () => {
    expect(parseTimestamp('2026-11-22 23:15:57.096795+00:00')).toEqual({ date: new Date('2026-11-22T23:15:57.096Z'), aware: true });
    expect(parseTimestamp('2026-11-22T23:15:57Z')?.aware).toBe(true);
    expect(parseTimestamp('2026-11-22T23:15:57+0200')?.date.toISOString()).toBe('2026-11-22T21:15:57.000Z');
    expect(parseTimestamp('2026-11-22T23:15:57')?.aware).toBe(false);
    expect(parseTimestamp('2026-11-22T23:15')?.aware).toBe(false);
    expect(parseTimestamp('yesterday')).toBeNull();
    expect(parseTimestamp('2026-13-45T99:00:00Z')).toBeNull();
  });
});

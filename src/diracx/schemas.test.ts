import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JOB_STATUSES } from '../backend/types.js';
import {
  HEARTBEAT_NUMERIC_KEYS,
  JobCommandSchema,
  PILOT_METADATA_KEYS,
  SANDBOX_PFN,
  SandboxDownloadResponseSchema,
  SandboxUploadResponseSchema,
  SetJobStatusReturnSchema,
  TokenResponseSchema,
} from './schemas.js';

interface SpecSchema {
  properties?: Record<string, unknown>;
  required?: string[];
  enum?: string[];
}
const spec = JSON.parse(readFileSync(new URL('../../spec/diracx-openapi.json', import.meta.url), 'utf8')) as {
  components: { schemas: Record<string, SpecSchema> };
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; schema: { pattern?: string } }> }>>;
};
const component = (name: string): SpecSchema => {
  const found = spec.components.schemas[name];
  if (!found) throw new Error(`spec has no schema ${name}`);
  return found;
};

/** Every field the zod schema reads exists in the spec, and every field the spec requires is required here. */
function expectAgrees(schema: z.AnyZodObject, name: string): void {
  const specSchema = component(name);
  const specFields = Object.keys(specSchema.properties ?? {});
  const ours = Object.keys(schema.shape);
  expect(
    ours.filter((field) => !specFields.includes(field)),
    `${name}: fields the spec does not have`,
  ).toEqual([]);
  for (const field of specSchema.required ?? []) {
    expect(ours, `${name}: required field missing`).toContain(field);
    expect((schema.shape as Record<string, z.ZodTypeAny>)[field]!.isOptional(), `${name}.${field} must be required`).toBe(false);
  }
}

describe('reply schemas agree with spec/diracx-openapi.json', () => {
  it('TokenResponse, JobCommand, SandboxDownloadResponse, SandboxUploadResponse, SetJobStatusReturn', () => {
    expectAgrees(TokenResponseSchema, 'TokenResponse');
    expectAgrees(JobCommandSchema, 'JobCommand');
    expectAgrees(SandboxDownloadResponseSchema, 'SandboxDownloadResponse');
    expectAgrees(SandboxUploadResponseSchema, 'SandboxUploadResponse');
    expectAgrees(SetJobStatusReturnSchema, 'SetJobStatusReturn');
    expectAgrees(SetJobStatusReturnSchema.shape.success.element, 'SetJobStatusReturnSuccess');
  });

  it("job statuses, heartbeat fields and pilot metadata fields are the spec's", () => {
    expect([...JOB_STATUSES]).toEqual(component('JobStatus').enum);
    expect([...HEARTBEAT_NUMERIC_KEYS, 'StandardOutput'].sort()).toEqual(Object.keys(component('HeartbeatData').properties!).sort());
    expect([...PILOT_METADATA_KEYS].sort()).toEqual(Object.keys(component('PilotMetadata').properties!).sort());
  });

  it('the sandbox PFN pattern is the one on GET /api/jobs/sandbox', () => {
    const pattern = spec.paths['/api/jobs/sandbox']!.get!.parameters!.find((p) => p.name === 'pfn')!.schema.pattern!;
    const unescape = (source: string) => source.replace(/\\([/.-])/g, '$1');
    expect(unescape(SANDBOX_PFN.source)).toBe(unescape(pattern));
    expect(SANDBOX_PFN.test(`SB:SandboxSE|/S3/sandboxes/demo/demo_user/alice/sha256:${'a'.repeat(64)}.tar.zst`)).toBe(true);
    expect(SANDBOX_PFN.test('LFN:/demo/user/a/file.txt')).toBe(false);
  });
});

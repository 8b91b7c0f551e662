import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JOB_METADATA_INTEGERS, JOB_METADATA_STRINGS, toJobMetaData } from './job-metadata.js';

const spec = JSON.parse(readFileSync(new URL('../../../spec/diracx-openapi.json', import.meta.url), 'utf8')) as {
  components: { schemas: { JobMetaData: { properties: Record<string, { type?: string; format?: string }> } } };
};
const declared = (type: string) =>
  Object.entries(spec.components.schemas.JobMetaData.properties)
    .filter(([, schema]) => schema.type === type && schema.format === undefined)
    .map(([name]) => name)
    .sort();

describe('toJobMetaData', () => {
  it("knows exactly the fields DiracX's JobMetaData declares as integer and as string", () => {
    expect([...JOB_METADATA_INTEGERS].sort()).toEqual(declared('integer'));
    expect([...JOB_METADATA_STRINGS].sort()).toEqual(declared('string'));
  });

  it('rounds a fractional integer field, writes numbers in string fields as text, keeps undeclared keys as they are', () => {
    expect(
      toJobMetaData({
        CPUNormalizationFactor: 12.5,
        'Memory(MB)': 2048.4,
        PayloadPID: 42,
        Site: 'LCG.X.ch',
        JobType: 7,
        CPUConsumed: 1.25,
      }),
    ).toEqual({
      CPUNormalizationFactor: 13,
      'Memory(MB)': 2048,
      PayloadPID: 42,
      Site: 'LCG.X.ch',
      JobType: '7',
      CPUConsumed: 1.25,
    });
  });

  it('leaves out an integer field it cannot read rather than have the whole request refused', () => {
    expect(toJobMetaData({ 'NormCPUTime(s)': 'n/a', 'TotalCPUTime(s)': '', HostName: 'wn1', 'Memory(MB)': '512' })).toEqual({
      HostName: 'wn1',
      'Memory(MB)': 512,
    });
  });
});

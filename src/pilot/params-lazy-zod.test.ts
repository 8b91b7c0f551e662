import { describe, expect, it, vi } from 'vitest';

// Counts imports of zod: resolveParams loads it only when a given value needs a schema, which is
// what keeps `pilot probe --json` (flags only) from loading and initialising zod at all.
const zodImports = vi.hoisted(() => ({ count: 0 }));
vi.mock('zod', async (importOriginal) => {
  zodImports.count += 1;
  return importOriginal();
});

const { resolveParams } = await import('./params.js');

describe('resolveParams and zod', () => {
  it('does not load zod for defaults, flags and plain strings, and loads it for the first value that needs a schema', async () => {
    await resolveParams({});
    await resolveParams({ json: true, debug: false, ce: 'ce01.example.org', sysroot: '/captures/node' });
    expect(zodImports.count).toBe(0);
    expect((await resolveParams({ processors: 4 })).processors).toBe(4);
    expect(zodImports.count).toBe(1);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The suite must run on the Node that ships inside the executables, not on the machine's own. */
describe('test runtime', () => {
  it('is the pinned Node from package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(process.version).toBe(`v${pkg.devDependencies.node}`);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes.js';

describe('docs/exit-codes.md', () => {
  it('lists exactly the codes of ExitCode, with the same names', () => {
    const doc = readFileSync(new URL('../../docs/exit-codes.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (\d+) \| (\w+) \|/gm)].map((m) => [m[2], Number(m[1])]);
    const code = Object.entries(ExitCode).filter(([name]) => name !== 'SIGNAL_BASE');
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(code));
    expect(doc).toMatch(/\| 128\+N \| SIGNAL \|/);
  });
});

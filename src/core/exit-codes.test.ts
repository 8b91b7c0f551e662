import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExitCode, signalExitCode } from './exit-codes.js';

describe('docs/exit-codes.md', () => {
  it('lists exactly the codes of ExitCode, with the same names', () => {
    const doc = readFileSync(new URL('../../docs/exit-codes.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (\d+) \| (\w+) \|/gm)].map((m) => [m[2], Number(m[1])]);
    const code = Object.entries(ExitCode).filter(([name]) => name !== 'SIGNAL_BASE');
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(code));
    expect(doc).toMatch(/\| 128\+N \| SIGNAL \|/);
  });
});

describe('ExitCode', () => {
  it('makes signal codes as shells report them', () => {
    expect(signalExitCode(15)).toBe(143);
    expect(signalExitCode(2)).toBe(130);
  });

  it('accepts only the documented codes as a type', () => {
    const named: ExitCode = ExitCode.TLS;
    const signal: ExitCode = signalExitCode(10);
    // @ts-expect-error a bare number is not a documented exit code
    const bare: ExitCode = 99;
    expect([named, signal, bare]).toEqual([22, 138, 99]);
  });
});

import { describe, expect, it } from 'vitest';
import { SUBCOMMAND_SUMMARIES } from '../pilot/subcommand-list.js';
import { bundleFor, wrapBundle } from './bundles.js';

describe('bundleFor', () => {
  it('sends probe, version and every help spelling to the lite bundle', () => {
    for (const first of ['probe', 'version', '--version', '-V', '--help', '-h', 'help', undefined])
      expect(bundleFor(first)).toBe('pilot-lite');
  });
  it('sends every other subcommand, and anything unknown, to the main bundle', () => {
    const heavy = Object.keys(SUBCOMMAND_SUMMARIES).filter((name) => name !== 'probe' && name !== 'version');
    expect(heavy.sort()).toEqual(['benchmark', 'check', 'exec', 'run', 'timeleft']);
    for (const first of [...heavy, '-d', 'nonsense']) expect(bundleFor(first)).toBe('pilot-main');
  });
});

describe('wrapBundle', () => {
  it('gives the bundle CommonJS module scope and keeps a last-line comment from swallowing the close', () => {
    const fn = new Function(`return ${wrapBundle('module.exports = [typeof exports, __filename, __dirname]; // trailing comment')}`)() as (
      ...args: unknown[]
    ) => void;
    const module = { exports: {} as unknown };
    fn(module.exports, () => undefined, module, '/x/pilot-lite.cjs', '/x');
    expect(module.exports).toEqual(['object', '/x/pilot-lite.cjs', '/x']);
  });
});

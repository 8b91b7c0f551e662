import { describe, expect, it } from 'vitest';
import { OPTIONS, type OptionSpec } from './options.js';
import { describeDefault, formatOptionsHelp } from './argv.js';
import { CONTEXT_DEFAULTS } from './defaults.js';
import { resolveParams } from './params.js';

const specs = OPTIONS as readonly OptionSpec[];

describe('the option table', () => {
  it('has one entry per key, long form, short form and environment variable', () => {
    for (const field of ['key', 'long', 'short', 'env'] as const) {
      const values = specs.map((spec) => spec[field]).filter((value) => value !== undefined);
      expect(
        values.filter((value, i) => values.indexOf(value) !== i),
        field,
      ).toEqual([]);
    }
    const longs = specs.flatMap((spec) => [spec.long, ...(spec.aliases ?? [])]);
    expect(longs.filter((value, i) => longs.indexOf(value) !== i)).toEqual([]);
  });

  it('generates "(default X)" from the value, so no help text restates a default by hand', () => {
    for (const spec of specs) {
      if (spec.default !== undefined || spec.contextual) expect(spec.help, spec.long).not.toMatch(/\(default|default:|default \d/i);
    }
    const help = formatOptionsHelp();
    expect(help).toMatch(/--kill-grace=S +TERM to KILL when stopping a payload \(default 10\)/);
    expect(help).toMatch(/--disk=MB +minimum free disk in the work directory \(default 2560\)/);
    expect(help).toMatch(/--CVMFS_locations=DIR,… +CVMFS locations to look in \(default \/cvmfs\/grid\.cern\.ch,\/cvmfs\/dirac\.egi\.eu\)/);
    expect(help).toMatch(/--MaxCycles=N +maximum job-agent cycles \(default 10; Pool CE 5000\)/);
    // Empty defaults and flags that are off say nothing.
    expect(help).toMatch(/--tag=TAG +tag this slot offers \(repeatable\)$/m);
    expect(help).toMatch(/--debug +debug logging +\[env PILOT_DEBUG\]$/m);
  });

  it('says a contextual default in the words of defaults.ts, for every contextual option and only those', () => {
    const contextual = specs
      .filter((spec) => spec.contextual)
      .map((spec) => spec.key)
      .sort();
    expect(contextual).toEqual(Object.keys(CONTEXT_DEFAULTS).sort());
    for (const spec of specs.filter((s) => s.contextual))
      expect(describeDefault(spec)).toBe(CONTEXT_DEFAULTS[spec.key as keyof typeof CONTEXT_DEFAULTS]);
    expect(specs.filter((spec) => spec.contextual && spec.default !== undefined)).toEqual([]);
  });

  it('gives every option with a default that default when no source sets it, valid for its own schema', async () => {
    const params = (await resolveParams({})) as Record<string, unknown>;
    const { z } = await import('zod');
    for (const spec of specs) {
      if (spec.default === undefined) {
        expect(params[spec.key], spec.key).toBeUndefined();
        continue;
      }
      expect(params[spec.key], spec.key).toEqual(spec.default);
      if (typeof spec.schema === 'function') expect(spec.schema(z).safeParse(spec.default).success, spec.key).toBe(true);
    }
  });

  it('hands out fresh copies of list and record defaults', async () => {
    const first = await resolveParams({});
    first.cvmfsLocations.push('/cvmfs/other');
    first.commandOptions.x = '1';
    const second = await resolveParams({});
    expect(second.cvmfsLocations).toEqual(['/cvmfs/grid.cern.ch', '/cvmfs/dirac.egi.eu']);
    expect(second.commandOptions).toEqual({});
  });
});

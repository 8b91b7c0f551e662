import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgv } from './argv.js';
import { loadParams } from './setup.js';
import { resolvePipeline } from './pipeline.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/*
 * Names from the command line, the environment and pilot.json select sections of pilot.json:
 * every one of them is looked up as the object's own key, never as something every object
 * inherits (issue 15: `-a constructor` ended in "internal error: t.split is not a function").
 */
const PILOT_JSON = {
  DefaultSetup: 'Production',
  CEs: { 'ce01.example.org': { Site: 'LCG.Example.org', GridCEType: 'HTCondorCE' } },
  Defaults: { Pilot: { Commands: { Defaults: 'CheckWorkerNode', HTCondorCE: 'CheckWorkerNode,LaunchAgent' }, Version: 'v9.0.1' } },
};

function tempJson(data: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pilot-json-own-')), 'pilot.json');
  writeFileSync(file, JSON.stringify(data));
  return file;
}

const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

describe('pilot.json lookups by names from outside are own-key lookups', () => {
  it.each(INHERITED)('-a %s selects no Commands section: the Defaults ones apply', async (name) => {
    const p = await loadParams(parseArgv(['-F', tempJson(PILOT_JSON), '-a', name]), {});
    expect(p.commands).toEqual(['CheckWorkerNode']);
    expect(p.gridCEType).toBe(name);
  });

  it.each(INHERITED)('-N %s / -Q %s name no CE and no queue', async (name) => {
    const p = await loadParams(parseArgv(['-F', tempJson(PILOT_JSON), '-N', name, '-Q', name]), {});
    expect(p.site).toBe('Unknown');
    const q = await loadParams(parseArgv(['-F', tempJson(PILOT_JSON), '-N', 'ce01.example.org', '-Q', name]), {});
    expect(q.site).toBe('LCG.Example.org');
  });

  it.each(INHERITED)('-S %s and --wnVO %s select no section', async (name) => {
    const p = await loadParams(parseArgv(['-F', tempJson(PILOT_JSON), '-S', name, '--wnVO', name]), {});
    expect(p.releaseVersion).toBe('v9.0.1');
    expect(p.setup).toBe(name);
  });

  it('a "__proto__" key in a Pilot section is a key, not a prototype that smuggles in options', async () => {
    const text = '{"Defaults": {"Pilot": {"__proto__": {"MaxCycles": "999"}, "Version": "v9.0.2"}}}';
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pilot-json-own-')), 'pilot.json');
    writeFileSync(file, text);
    const p = await loadParams(parseArgv(['-F', file]), {});
    expect(p.releaseVersion).toBe('v9.0.2');
    expect(p.maxCycles).not.toBe(999);
  });

  it.each(INHERITED)('-X %s is an unknown command (UNKNOWN_COMMAND), not an internal error', (name) => {
    let caught: unknown;
    try {
      resolvePipeline([name], new Map());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PilotError);
    expect((caught as PilotError).exitCode).toBe(ExitCode.UNKNOWN_COMMAND);
  });
});

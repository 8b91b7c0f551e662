import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CfgError, cfgList, cfgValue, parseCfg, serializeCfg } from './cfg.js';
import {
  checkPilotVersion,
  decodeCompressedCfg,
  registryGroup,
  resolveServiceUrls,
  sandboxStoreUrl,
  userDN,
  vomsAttribute,
} from './config.js';

const sample = readFileSync(new URL('../../../tests/dirac/fixtures/cs-v9.cfg', import.meta.url), 'utf8');

describe('parseCfg', () => {
  const root = parseCfg(sample);

  it('reads options, += appends and comma lists', () => {
    expect(cfgValue(root, '/DIRAC/Configuration/Name')).toBe('Example-Prod');
    expect(cfgList(root, '/DIRAC/Configuration/Servers')).toEqual([
      'dips://cs.example.org:9135/Configuration/Server',
      'https://cs.example.org:8443/Configuration/TornadoConfiguration',
    ]);
    expect(cfgValue(root, '/DIRAC/Configuration/Version')).toBe('2026-11-20 10:42:05.123456');
    expect(cfgList(root, '/Operations/gridpp/Pilot/Version')).toEqual(['9.0.4', '9.0.3']);
  });

  it('serialises to text that parses back to the same tree', () => {
    expect(parseCfg(serializeCfg(root))).toEqual(root);
  });

  it('accepts "Name {" on one line and "} }"', () => {
    const cfg = parseCfg('A {\n  B {\n    x = 1\n  } }\n');
    expect(cfgValue(cfg, 'A/B/x')).toBe('1');
  });

  it('names the line of malformed input', () => {
    expect(() => parseCfg('A\n{\n  x = 1\n')).toThrow(/1 section\(s\) never closed/);
    expect(() => parseCfg('}\n')).toThrow(/CFG line 1: '}' without a matching '{'/);
    expect(() => parseCfg('A\nB\n{\n}')).toThrow(/CFG line 2: expected '\{' after section name A/);
    expect(() => parseCfg('A = 1\nA\n{\n}')).toThrow(CfgError);
  });
});

describe('CS lookups', () => {
  const root = parseCfg(sample);

  it('resolves DIPS and HTTPS service URLs in CS order', () => {
    expect(resolveServiceUrls(root, 'WorkloadManagement/Matcher').map((u) => u.url.href)).toEqual([
      'dips://wms1.example.org:9170/WorkloadManagement/Matcher',
      'dips://wms2.example.org:9170/WorkloadManagement/Matcher',
    ]);
    expect(resolveServiceUrls(root, 'WorkloadManagement/JobStateUpdate')[0]?.protocol).toBe('https');
    expect(() => resolveServiceUrls(root, 'WorkloadManagement/Nope')).toThrow(/no URL for WorkloadManagement\/Nope/);
  });

  it('falls back to the v8 setup instance', () => {
    const v8 = parseCfg(
      'DIRAC\n{\n  Setups\n  {\n    Prod\n    {\n      WorkloadManagement = Production\n    }\n  }\n}\n' +
        'Systems\n{\n  WorkloadManagement\n  {\n    Production\n    {\n      URLs\n      {\n        Matcher = dips://old:9170/WorkloadManagement/Matcher\n      }\n    }\n  }\n}\n',
    );
    expect(resolveServiceUrls(v8, 'WorkloadManagement/Matcher', 'Prod')[0]?.url.host).toBe('old:9170');
  });

  it('reads the Registry', () => {
    expect(userDN(root, 'alice')).toBe('/DC=org/DC=example/OU=People/CN=Alice Example');
    expect(registryGroup(root, 'gridpp_pilot')?.properties).toEqual(['GenericPilot', 'LimitedDelegation']);
    expect(vomsAttribute(root, 'gridpp_prod')).toBe('/gridpp/Role=production');
    // A VO without VOMSRole asks for no VOMS (DIRAC's getVOMSAttributeForGroup): a plain getProxy.
    expect(vomsAttribute(root, 'gridpp_user')).toBeUndefined();
    const withDefault = parseCfg(
      sample.replace('DefaultGroup = gridpp_user', 'DefaultGroup = gridpp_user\n  DefaultVOMSAttribute = /gridpp'),
    );
    expect(vomsAttribute(withDefault, 'gridpp_user')).toBe('/gridpp');
    expect(vomsAttribute(withDefault, 'gridpp_prod')).toBe('/gridpp/Role=production');
  });

  it('checks the pilot version against Operations', () => {
    expect(checkPilotVersion(root, 'gridpp', '9.0.4')).toBeUndefined();
    expect(checkPilotVersion(root, 'gridpp', '9.0.1')).toMatch(/9\.0\.1 is not accepted .*9\.0\.4, 9\.0\.3/);
    expect(checkPilotVersion(root, 'othervo', '9.0.2')).toBeUndefined();
  });

  it('finds the SandboxStore behind a sandbox SE', () => {
    expect(sandboxStoreUrl(root, 'ProductionSandboxSE').href).toBe('dips://wms1.example.org:9196/WorkloadManagement/SandboxStore');
    expect(() => sandboxStoreUrl(root, 'Missing')).toThrow(/Missing is not defined/);
  });

  it('decodes getCompressedData replies as bytes or surrogate-escaped text', () => {
    const compressed = deflateSync(Buffer.from(sample));
    expect(cfgValue(decodeCompressedCfg(new Uint8Array(compressed)), 'Registry/DefaultGroup')).toBe('gridpp_user');
    const escaped = [...compressed].map((b) => (b < 0x80 ? String.fromCharCode(b) : String.fromCharCode(0xdc00 + b))).join('');
    expect(cfgValue(decodeCompressedCfg(escaped), 'Registry/DefaultGroup')).toBe('gridpp_user');
    expect(() => decodeCompressedCfg(new Uint8Array([1, 2, 3]))).toThrow(/not zlib data/);
  });
});

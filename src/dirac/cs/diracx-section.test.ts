import { describe, expect, it } from 'vitest';
import { parseCfg } from './cfg.js';
import { diracxSettings, futureClientEnabled } from './diracx-section.js';

const cs = (body: string) => parseCfg(`DiracX\n{\n${body}\n}\n`);

describe('the CS DiracX section, as v9 clients read it', () => {
  it('FutureClientEnabled (9.1.18 on) and LegacyClientEnabled (before) both switch JobStateUpdate to DiracX', () => {
    const future = cs('URL = https://diracx.example.org\nFutureClientEnabled\n{\nWorkloadManagement\n{\nJobStateUpdate = yes\n}\n}');
    expect(diracxSettings(future, 'lhcb')).toEqual({ url: 'https://diracx.example.org', jobStateUpdate: true, voDisabled: false });
    const legacyName = cs('URL = https://d\nLegacyClientEnabled\n{\nWorkloadManagement\n{\nJobStateUpdate = True\n}\n}');
    expect(diracxSettings(legacyName, 'lhcb').jobStateUpdate).toBe(true);
  });

  it('is off when the switch is absent, "no", or names another service; DisabledVOs is read per VO', () => {
    expect(diracxSettings(cs('URL = https://d'), 'lhcb')).toEqual({ url: 'https://d', jobStateUpdate: false, voDisabled: false });
    expect(
      futureClientEnabled(
        cs('FutureClientEnabled\n{\nWorkloadManagement\n{\nJobStateUpdate = no\n}\n}'),
        'WorkloadManagement',
        'JobStateUpdate',
      ),
    ).toBe(false);
    expect(
      futureClientEnabled(
        cs('FutureClientEnabled\n{\nWorkloadManagement\n{\nJobMonitoring = yes\n}\n}'),
        'WorkloadManagement',
        'JobStateUpdate',
      ),
    ).toBe(false);
    expect(diracxSettings(cs('DisabledVOs = dteam, gridpp'), 'gridpp')).toEqual({ url: null, jobStateUpdate: false, voDisabled: true });
    expect(diracxSettings(parseCfg('DIRAC\n{\n}\n'), 'x')).toEqual({ url: null, jobStateUpdate: false, voDisabled: false });
  });
});

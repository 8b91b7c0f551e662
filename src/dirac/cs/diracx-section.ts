/**
 * What a DIRAC v9 CS says about DiracX, read the way v9's clients read it:
 * - `/DiracX/URL`: where `DiracXClient()` (Core/Security/DiracX.py) sends a future client's calls;
 * - `/DiracX/FutureClientEnabled/<System>/<Service>` (named `LegacyClientEnabled` before 9.1.18):
 *   `PathFinder.useLegacyAdapter`, which `ClientSelector` asks before each client is built; when
 *   true, that service's calls go to DiracX through its FutureClient instead of DIPS/HTTPS;
 * - `/DiracX/DisabledVOs`: VOs whose proxies get no DIRACX block (`addTokenToPEM`).
 */
import { cfgBool, cfgList, cfgValue, type CfgSection } from './cfg.js';

export interface DiracxSettings {
  /** `/DiracX/URL`, or null when the CS names no DiracX. */
  url: string | null;
  /** JobStateUpdate's future client is on: statuses, parameters and heartbeats go to DiracX. */
  jobStateUpdate: boolean;
  /** The VO is listed in `/DiracX/DisabledVOs`. */
  voDisabled: boolean;
}

/** useLegacyAdapter: either spelling of the switch, yes/true/y/1 in any case. */
export function futureClientEnabled(cfg: CfgSection, system: string, service: string): boolean {
  return (
    cfgBool(cfg, `/DiracX/FutureClientEnabled/${system}/${service}`, false) ||
    cfgBool(cfg, `/DiracX/LegacyClientEnabled/${system}/${service}`, false)
  );
}

export function diracxSettings(cfg: CfgSection, vo: string): DiracxSettings {
  const url = cfgValue(cfg, '/DiracX/URL')?.trim();
  return {
    url: url ? url : null,
    jobStateUpdate: futureClientEnabled(cfg, 'WorkloadManagement', 'JobStateUpdate'),
    voDisabled: cfgList(cfg, '/DiracX/DisabledVOs').includes(vo),
  };
}

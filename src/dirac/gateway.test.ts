import { describe, expect, it } from 'vitest';
import { gatewayUrl, ServiceCaller } from './services.js';

describe('a DIRAC gateway (DIRAC pilot -W)', () => {
  it('sends every service, the configuration included, to <gateway>/<System/Service>, without reading the CS for it', () => {
    // Only urls() is under test: no connection is made, so no credentials are needed.
    const caller = { options: { gateway: 'dips://gw.example.org:9159/' }, cfg: () => undefined } as unknown as ServiceCaller;
    expect(ServiceCaller.prototype.urls.call(caller, 'WorkloadManagement/Matcher').map((u) => [u.protocol, u.url.href])).toEqual([
      ['dips', 'dips://gw.example.org:9159/WorkloadManagement/Matcher'],
    ]);
    expect(gatewayUrl('dips://gw:9159', 'Configuration/Server').url.pathname).toBe('/Configuration/Server');
  });

  it('refuses a gateway that is not a dips:// URL, with one line and the configuration code', () => {
    expect(() => gatewayUrl('https://gw:8443', 'X/Y')).toThrow(/a DIRAC gateway is a dips:\/\/ URL/);
    expect(() => gatewayUrl('not a url', 'X/Y')).toThrow(/is not a URL/);
  });
});

describe('a whole dips:// URL behind a gateway (a storage element’s access point)', () => {
  it('goes through the gateway, as DIRAC’s BaseClient rewrites it; https and no gateway leave it alone', () => {
    const behind = { options: { gateway: 'dips://gw.example.org:9159' } } as unknown as ServiceCaller;
    const direct = { options: {} } as unknown as ServiceCaller;
    const se = new URL('dips://se.example.org:9196/WorkloadManagement/SandboxStore');
    expect(ServiceCaller.prototype.viaGateway.call(behind, se).href).toBe('dips://gw.example.org:9159/WorkloadManagement/SandboxStore');
    expect(ServiceCaller.prototype.viaGateway.call(direct, se).href).toBe(se.href);
    const https = new URL('https://se.example.org:8443/WorkloadManagement/TornadoSandboxStore');
    expect(ServiceCaller.prototype.viaGateway.call(behind, https).href).toBe(https.href);
  });
});

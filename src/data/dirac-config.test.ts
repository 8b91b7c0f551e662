import { describe, expect, it } from 'vitest';
import { plainConfigReader } from './config-reader.js';
import { readDataConfig, policyFromModule } from './dirac-config.js';
import { orderReplicas, protocolReplicas } from './replicas.js';
import { endpointUrl, transferEndpoints, urlEndpoints } from './storage/url.js';

const cs = plainConfigReader({
  Resources: {
    Sites: {
      LCG: {
        'LCG.Here.uk': { SE: 'HERE-disk, HERE-tape, MOUNT-disk' },
        'LCG.Near.uk': { SE: 'NEAR-disk' },
        'LCG.Far.ch': { SE: 'FAR-disk' },
      },
    },
    StorageElements: {
      'HERE-disk': {
        GFAL2_XROOT: { Protocol: 'root', Host: 'xrd.here.uk', Port: '1094', Path: '/data', Access: 'remote' },
        GFAL2_HTTPS: { Protocol: 'https', Host: 'dav.here.uk', Port: '443', Path: '/data', WSUrl: '/webdav', Access: 'remote' },
        GFAL2_SRM2: { Protocol: 'srm', Host: 'srm.here.uk', Path: '/srm', Access: 'remote' },
      },
      // A site-only POSIX mount beside a remote xrootd door, with its own protocol lists.
      'MOUNT-disk': {
        AccessProtocols: 'file, root',
        WriteProtocols: 'root',
        POSIX: { Protocol: 'file', Path: '/mnt/se', Access: 'local' },
        XRD: { Protocol: 'root', Host: 'mount.here.uk', Path: '/', Access: 'remote' },
      },
      'HERE-tape': { XRD: { Protocol: 'root', Host: 'tape.here.uk', Path: '/tape' } },
      'HERE-user': { BaseSE: 'HERE-disk', XRD: { Protocol: 'root', Host: 'xrd.here.uk', Path: '/user' } },
      'NEAR-disk': { XRD: { Protocol: 'root', Host: 'near', Path: '/' } },
      'FAR-disk': { XRD: { Protocol: 'root', Host: 'far', Path: '/' } },
      'BANNED-disk': { ReadAccess: 'Banned', XRD: { Protocol: 'root', Host: 'x', Path: '/' } },
      'FAIL-A': { POSIX: { Protocol: 'file', Path: '/failover' } },
    },
    StorageElementGroups: { 'SE-USER': 'HERE-user', 'Tier1-Failover': 'FAIL-A', AllFailover: 'FAIL-A' },
  },
  Operations: {
    Defaults: {
      SiteLocalSEMapping: { 'LCG.Here.uk': 'LCG.Near.uk' },
      DataManagement: { AccessProtocols: 'https, root, file', WriteProtocols: 'root' },
      InputDataPolicy: {
        Default: 'DIRAC.WorkloadManagementSystem.Client.InputDataByProtocol, DIRAC.WorkloadManagementSystem.Client.DownloadInputData',
        'LCG.Far.ch': 'DownloadInputData',
      },
    },
    gridpp: { FailoverSEs: 'AllFailover', LFNUserPrefix: 'users' },
  },
});

describe('data configuration from the DIRAC CS', () => {
  const config = readDataConfig(cs, { site: 'LCG.Here.uk', vo: 'gridpp' });

  it('maps the site to its SEs, BaseSE aliases and SiteLocalSEMapping', () => {
    expect(config.siteSEs).toEqual(['HERE-disk', 'HERE-tape', 'MOUNT-disk', 'HERE-user']);
    expect(config.localSEs).toEqual(['HERE-disk', 'HERE-tape', 'MOUNT-disk', 'HERE-user', 'NEAR-disk']);
    expect(config.storageElements.get('HERE-tape')?.tape).toBe(true);
    expect(config.storageElements.get('BANNED-disk')?.readAccess).toBe(false);
  });

  it('reads policies, output and failover SEs, with VO then Defaults', () => {
    expect(config.inputDataPolicies).toEqual(['InputDataByProtocol', 'DownloadInputData']);
    expect(readDataConfig(cs, { site: 'LCG.Far.ch', vo: 'gridpp' }).inputDataPolicies).toEqual(['DownloadInputData']);
    expect(config.defaultOutputSEs).toEqual(['HERE-user']);
    expect(config.failoverSEs).toEqual(['FAIL-A']);
    expect(config.lfnUserPrefix).toBe('users');
    expect(readDataConfig(cs, { site: 'LCG.Here.uk', vo: 'other' }).lfnUserPrefix).toBe('user');
    expect(config.outputBufferBytes).toBe(5 * 1024 ** 3);
    expect(policyFromModule('VO.Extension.Custom')).toBeUndefined();
  });

  it('builds URLs as DIRAC does and keeps only protocols the pilot speaks', () => {
    const se = config.storageElements.get('HERE-disk')!;
    expect(urlEndpoints(se, []).map((e) => e.protocol)).toEqual(['https', 'root']);
    expect(urlEndpoints(se, ['root']).map((e) => e.protocol)).toEqual(['root']);
    expect(endpointUrl(se.endpoints[0]!, '/gridpp/data/f.root')).toBe('root://xrd.here.uk:1094//data/gridpp/data/f.root');
    expect(endpointUrl(se.endpoints[1]!, 'LFN:/gridpp/data/f.root')).toBe('https://dav.here.uk:443/webdav/data/gridpp/data/f.root');
    expect(endpointUrl(config.storageElements.get('FAIL-A')!.endpoints[0]!, '/gridpp/f')).toBe('file:///failover/gridpp/f');
    // An SE with BaseSE inherits the base's other protocols; its own section wins.
    expect(config.storageElements.get('HERE-user')!.endpoints.map((e) => `${e.protocol}:${e.path}`)).toEqual([
      'root:/user',
      'https:/data',
      'srm:/srm',
    ]);
    expect(() => endpointUrl(se.endpoints[0]!, '/gridpp/../etc/passwd')).toThrow(/not a valid LFN/);
    expect(() => endpointUrl(se.endpoints[0]!, 'gridpp/relative')).toThrow(/not a valid LFN/);
  });

  it('orders replicas: local disk, local tape, remote disk, remote tape; unknown and banned SEs dropped', () => {
    const replicas = new Map([
      ['FAR-disk', 'pfn-far'],
      ['HERE-tape', 'pfn-tape'],
      ['UNKNOWN-SE', 'pfn-unknown'],
      ['BANNED-disk', 'pfn-banned'],
      ['NEAR-disk', 'pfn-near'],
      ['HERE-disk', 'pfn-here'],
    ]);
    const first = () => 0.99;
    expect(orderReplicas(replicas, config, first).map((r) => r.se)).toEqual(['NEAR-disk', 'HERE-disk', 'HERE-tape', 'FAR-disk']);
    expect(orderReplicas(replicas, config, () => 0).map((r) => r.se)).toEqual(['HERE-disk', 'NEAR-disk', 'HERE-tape', 'FAR-disk']);
    expect(protocolReplicas(replicas, config, first).map((r) => r.se)).toEqual(['NEAR-disk', 'HERE-disk']);
    expect(
      protocolReplicas(
        new Map([
          ['HERE-tape', 'x'],
          ['FAR-disk', 'y'],
        ]),
        config,
      ).map((r) => r.se),
    ).toEqual(['HERE-tape']);
    expect(protocolReplicas(new Map([['FAR-disk', 'y']]), config)).toEqual([]);
    expect(protocolReplicas(new Map([['FAR-disk', 'y']]), { ...config, allReplicas: true }).map((r) => r.se)).toEqual(['FAR-disk']);
  });

  it("chooses sections by AccessProtocols/WriteProtocols as DIRAC's StorageElement does", () => {
    const here = config.storageElements.get('HERE-disk')!;
    // Operations DataManagement lists, in their order; srm is listed by the SE but neither allowed nor spoken.
    expect(here.accessProtocols).toEqual(['https', 'root', 'file']);
    expect(transferEndpoints(here, 'read', true).map((e) => e.protocol)).toEqual(['https', 'root']);
    expect(transferEndpoints(here, 'write', true).map((e) => e.protocol)).toEqual(['root']);
    // The SE's own lists win, and are inherited through BaseSE.
    const mount = config.storageElements.get('MOUNT-disk')!;
    expect([mount.accessProtocols, mount.writeProtocols]).toEqual([['file', 'root'], ['root']]);
    expect(config.storageElements.get('HERE-user')!.accessProtocols).toEqual(['https', 'root', 'file']);
    // A section not open to remote use serves only the SE's own site.
    expect(transferEndpoints(mount, 'read', true).map((e) => e.protocol)).toEqual(['file', 'root']);
    expect(transferEndpoints(mount, 'read', false).map((e) => e.protocol)).toEqual(['root']);
    expect(transferEndpoints(config.storageElements.get('NEAR-disk')!, 'read', false)).toEqual([]);
    expect(transferEndpoints(config.storageElements.get('NEAR-disk')!, 'read', true).map((e) => e.host)).toEqual(['near']);
    // Nothing said anywhere: DIRAC's default (srm, dips), which this pilot speaks neither of.
    const bare = readDataConfig(
      plainConfigReader({ Resources: { StorageElements: { X: { XRD: { Protocol: 'root', Host: 'x', Path: '/', Access: 'remote' } } } } }),
      { site: 'LCG.Here.uk', vo: 'gridpp' },
    ).storageElements.get('X')!;
    expect([bare.accessProtocols, bare.writeProtocols]).toEqual([
      ['srm', 'dips'],
      ['srm', 'dips'],
    ]);
    expect(transferEndpoints(bare, 'read', true)).toEqual([]);
  });

  it("reads the JobWrapper options under the setup's instance where the CS has Setups (v8, v9 pre-releases)", () => {
    const withSetups = plainConfigReader({
      DIRAC: { Setup: 'KitSetup', Setups: { KitSetup: { WorkloadManagement: 'Production' } } },
      Systems: { WorkloadManagement: { Production: { JobWrapper: { OutputSandboxLimit: '262144', FailoverRequestDelay: '5' } } } },
    });
    const read = readDataConfig(withSetups, { site: 'LCG.Here.uk', vo: 'gridpp' });
    expect([read.outputSandboxLimitBytes, read.failoverRequestDelayMinutes]).toEqual([262144, 5]);
    // The pilot's own -S wins over /DIRAC/Setup; an unknown setup leaves DIRAC's defaults.
    expect(readDataConfig(withSetups, { site: 'LCG.Here.uk', vo: 'gridpp', setup: 'Other' }).outputSandboxLimitBytes).toBe(
      10 * 1024 * 1024,
    );
  });
});

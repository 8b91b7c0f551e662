/**
 * The legacy DIRAC dev server: a DIPS listener (Matcher, PilotManager, JobManager, SandboxStore,
 * Configuration) and an HTTPS listener (JobStateUpdate, SandboxStore, ProxyManager, Configuration)
 * on loopback, a throw-away CA, a pilot proxy, a job owner whose proxy ProxyManager delegates, and
 * a CS that points at all of it. For tests and `npm run demo -- --backend dirac`.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { startDipsServer, type RunningServer } from './dips-server.js';
import { startHttpsServer } from './https-server.js';
import { makeUser, writeTestPki, type Issued } from './pki.js';
import {
  configuration,
  jobManager,
  jobStateUpdate,
  matcher,
  pilotManager,
  proxyManager,
  sandboxStore,
  type ServiceSetup,
} from './services.js';
import { DevState } from './state.js';
import { DevDataState, dataCfgText, fileCatalog, reqManager, type DevDataSetup } from './data-services.js';
import { buildTar } from '../devserver/sandbox-archive.js';
import { demoJobs } from '../devserver/demo-jobs.js';

export { DevState } from './state.js';

export interface DevJobSpec {
  jobId: number;
  /** JDL fields of the job as submitted. */
  fields: Record<string, string | number | string[]>;
  /** Files packed into the job's input sandbox (name → content); none means no sandbox. */
  inputFiles?: Record<string, string>;
}

export interface DiracDevServer {
  /** Configuration server URLs, DIPS first. */
  csUrls: string[];
  proxyPath: string;
  caDir: string;
  vo: string;
  setup: string;
  releaseVersion: string;
  state: DevState;
  /** The FileCatalog's files and the requests ReqManager received. */
  data: DevDataState;
  ownerDN: string;
  close(): Promise<void>;
}

export interface DiracDevServerOptions {
  /** Where the CA directory and proxy files go. */
  dir: string;
  jobs?: DevJobSpec[];
  releaseVersion?: string;
  /** Storage elements, site and failover storage for jobs with InputData/OutputData (src/devserver-dirac/data-services.ts). */
  data?: DevDataSetup;
  /**
   * The job owners' group's VOMSRole. Without it the group has a VO and no VOMS mapping, as on
   * most DIRAC installations: ProxyManager then refuses getVOMSProxy, and only getProxy works.
   */
  ownerVomsRole?: string;
  /**
   * The HTTPS services refuse proxy certificates at the TLS layer, as a Tornado whose M2Crypto
   * lacks the allow-proxy flag does: the handshake ends and the connection closes.
   */
  httpsRefusesProxies?: boolean;
  /** SandboxStore MaxSandboxSizeMiB (fractions allowed here): larger uploads are refused, as DIRAC's store does (default 10, DIRAC's). */
  sandboxMaxMiB?: number;
}

const VO = 'gridpp';
const SE = 'ProductionSandboxSE';

export const DEMO_JOBS: DevJobSpec[] = [
  {
    jobId: 101,
    fields: {
      Executable: '/bin/sh',
      Arguments: 'hello.sh',
      JobName: 'legacy-hello',
      CPUTime: 3600,
      StdOutput: 'std.out',
      StdError: 'std.err',
      OutputSandbox: ['std.out', 'std.err'],
    },
    inputFiles: { 'hello.sh': 'echo "hello from a legacy DIRAC job $DIRACJOBID"\n' },
  },
  {
    jobId: 102,
    fields: {
      Executable: '/bin/echo',
      Arguments: 'second job',
      CPUTime: 600,
      StdOutput: 'std.out',
      StdError: 'std.err',
      OutputSandbox: ['std.out'],
    },
  },
];

/** A deterministic uncompressed tar (ustar) of small text files: DIRAC readers autodetect compression. */
/** The DiracX dev server's demo job set, as legacy jobs: both demos run the same jobs end to end. */
export function demoJobSpecs(): DevJobSpec[] {
  return demoJobs().map((job, i) => ({
    jobId: 101 + i,
    fields: job.fields as DevJobSpec['fields'],
    inputFiles: Object.fromEntries(Object.entries(job.inputFiles ?? {}).map(([name, content]) => [name, String(content)])),
  }));
}

export async function startDiracDevServer(options: DiracDevServerOptions): Promise<DiracDevServer> {
  await mkdir(options.dir, { recursive: true });
  const pki = await writeTestPki(options.dir);
  const owner = await makeUser(pki.ca, 'Alice Example');
  const ownerDN = dnOf(owner);
  const pilotDN = dnOf(pki.user);
  const releaseVersion = options.releaseVersion ?? '9.0.4';
  const state = new DevState();
  const users = new Map<string, Issued>([[ownerDN, owner], [pilotDN, pki.user]]);
  const userNames = new Map([[ownerDN, 'alice'], [pilotDN, 'pilot']]);
  let cfgText = '';
  const dataState = new DevDataState();
  const vomsRoles = new Map<string, string>(options.ownerVomsRole ? [['gridpp_user', options.ownerVomsRole]] : []);
  const setup: ServiceSetup = {
    state,
    releaseVersions: [releaseVersion],
    sandboxSE: SE,
    maxSandboxBytes: Math.round((options.sandboxMaxMiB ?? 10) * 1024 * 1024),
    cfgText: () => cfgText,
    users,
    userNames,
    vomsAttributeOf: (group) => vomsRoles.get(group),
  };

  for (const spec of options.jobs ?? DEMO_JOBS) {
    const fields = { ...spec.fields };
    if (spec.inputFiles) {
      const tar = buildTar(spec.inputFiles);
      const md5 = createHash('md5').update(tar).digest('hex');
      const path = `/SandBox/a/alice/${md5.slice(0, 3)}/${md5.slice(3, 6)}/${md5}.tar`;
      state.sandboxes.set(path, tar);
      fields.InputSandbox = [`SB:${SE}|${path}`];
    }
    state.addJob({ jobId: spec.jobId, owner: 'alice', ownerGroup: 'gridpp_user', vo: VO, fields });
  }

  const servers: RunningServer[] = [];
  const record = (call: { service: string; method: string; args: unknown[] }): void => void state.calls.push(call);
  const tlsOptions = { certPem: pki.host.certPem, keyPem: pki.host.keyPem, caPems: [pki.ca.certPem], onCall: record };
  const store = sandboxStore(setup);
  const dips = await startDipsServer({
    ...tlsOptions,
    services: {
      'WorkloadManagement/Matcher': matcher(setup),
      'WorkloadManagement/PilotManager': pilotManager(setup),
      'WorkloadManagement/JobManager': jobManager(setup),
      'WorkloadManagement/SandboxStore': store,
      'Configuration/Server': configuration(setup),
      'DataManagement/FileCatalog': fileCatalog(dataState, userNames),
      'RequestManagement/ReqManager': reqManager(dataState, userNames),
      'Framework/ProxyManager': proxyManager(setup),
    },
  });
  servers.push(dips);
  const https = await startHttpsServer({
    ...tlsOptions,
    refuseProxies: options.httpsRefusesProxies ?? false,
    services: {
      'WorkloadManagement/TornadoJobStateUpdate': jobStateUpdate(setup),
      'WorkloadManagement/TornadoSandboxStore': store,
      'Framework/TornadoProxyManager': proxyManager(setup),
      'Configuration/TornadoConfiguration': configuration(setup),
    },
  });
  servers.push(https);

  const d = `dips://localhost:${dips.port}`;
  const h = `https://localhost:${https.port}`;
  cfgText = [
    'DIRAC',
    '{',
    `  VirtualOrganization = ${VO}`,
    '  Configuration',
    '  {',
    `    Servers = ${d}/Configuration/Server, ${h}/Configuration/TornadoConfiguration`,
    '  }',
    '}',
    'Systems',
    '{',
    '  WorkloadManagement',
    '  {',
    '    URLs',
    '    {',
    `      Matcher = ${d}/WorkloadManagement/Matcher`,
    `      PilotManager = ${d}/WorkloadManagement/PilotManager`,
    `      JobManager = ${d}/WorkloadManagement/JobManager`,
    `      JobStateUpdate = ${h}/WorkloadManagement/TornadoJobStateUpdate`,
    `      SandboxStore = ${h}/WorkloadManagement/TornadoSandboxStore`,
    '    }',
    '  }',
    '  Framework',
    '  {',
    '    URLs',
    '    {',
    // The layout the real-services kit ran when the HTTPS services refused proxies: ProxyManager on DIPS.
    options.httpsRefusesProxies ? `      ProxyManager = ${d}/Framework/ProxyManager` : `      ProxyManager = ${h}/Framework/TornadoProxyManager`,
    '    }',
    '  }',
    '}',
    'Registry',
    '{',
    '  Users',
    '  {',
    '    alice',
    '    {',
    `      DN = ${ownerDN}`,
    '    }',
    '    pilot',
    '    {',
    `      DN = ${pilotDN}`,
    '    }',
    '  }',
    '  Groups',
    '  {',
    '    gridpp_user',
    '    {',
    '      Users = alice',
    '      Properties = NormalUser',
    `      VO = ${VO}`,
    ...(options.ownerVomsRole ? [`      VOMSRole = ${options.ownerVomsRole}`] : []),
    '    }',
    '    gridpp_pilot',
    '    {',
    '      Users = pilot',
    '      Properties = GenericPilot, LimitedDelegation',
    `      VO = ${VO}`,
    '    }',
    '  }',
    '  VO',
    '  {',
    `    ${VO}`,
    '    {',
    '      VOMSName = gridpp.ac.uk',
    '    }',
    '  }',
    '}',
    'Operations',
    '{',
    '  Defaults',
    '  {',
    '    Pilot',
    '    {',
    `      Version = ${releaseVersion}`,
    '      CheckVersion = True',
    '    }',
    '  }',
    '}',
    'Resources',
    '{',
    '  StorageElements',
    '  {',
    `    ${SE}`,
    '    {',
    '      BackendType = DISET',
    '      DIP',
    '      {',
    '        Host = localhost',
    `        Port = ${dips.port}`,
    '        Protocol = dips',
    '        Path = /WorkloadManagement/SandboxStore',
    '      }',
    '    }',
    '  }',
    '}',
  ].join('\n');
  if (options.data)
    cfgText += `\n${dataCfgText(options.data, { fileCatalog: `${d}/DataManagement/FileCatalog`, reqManager: `${d}/RequestManagement/ReqManager` })}`;

  return {
    csUrls: [`${d}/Configuration/Server`, `${h}/Configuration/TornadoConfiguration`],
    proxyPath: pki.proxyPath,
    caDir: pki.caDir,
    vo: VO,
    setup: 'Dev',
    releaseVersion,
    state,
    data: dataState,
    ownerDN,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

function dnOf(issued: Issued): string {
  return `/${issued.name.map((rdn) => Object.entries(rdn).map(([k, v]) => `${k}=${v[0]}`).join('+')).join('/')}`;
}


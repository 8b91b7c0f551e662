/**
 * The legacy DIRAC dev server: a DIPS listener (Matcher, PilotManager, JobManager, SandboxStore,
 * Configuration) and an HTTPS listener (JobStateUpdate, SandboxStore, ProxyManager, Configuration)
 * on loopback, a throw-away CA, a pilot proxy, a job owner whose proxy ProxyManager delegates, and
 * a CS that points at all of it. For tests and `npm run demo -- --backend dirac`.
 */
import { createHash } from 'node:crypto';
import { appendFile, chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDipsServer, type DipsCallRecord, type RunningServer } from './dips-server.js';
import { startHttpsServer } from './https-server.js';
import { makeHost, makeUser, writeTestPki, type Issued } from './pki.js';
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
import { pilotLogging } from './pilot-logging.js';
import { DevDataState, dataCfgText, fileCatalog, reqManager, type DevDataSetup } from './data-services.js';
import { executeWaitingRequests, type ExecutedRequest } from './request-executing.js';
import { buildTar } from '../devserver/sandbox-archive.js';
import { demoJobs } from '../devserver/demo-jobs.js';
import { startDevServer, type DevServer } from '../devserver/index.js';
import {
  exchangeProxyForToken,
  mixedJobManager,
  mixedJobStateUpdate,
  mixedMatcher,
  mixedSandboxStore,
  type MixedSetup,
} from './diracx-backed.js';

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
  /** DIRAC's remote pilot logger (TornadoPilotLogging), for the pilot's -g/--loggerURL. */
  loggerUrl: string;
  proxyPath: string;
  caDir: string;
  vo: string;
  setup: string;
  releaseVersion: string;
  state: DevState;
  /** The FileCatalog's files and the requests ReqManager received. */
  data: DevDataState;
  ownerDN: string;
  /**
   * A worker node's host certificate, registered in Registry/Hosts with the pilot's properties:
   * `hostcert.pem` and `hostkey.pem` (0600) in this directory, for the DIRAC pilot's `-c -K DIR`.
   */
  hostCertDir: string;
  /** The DN of that host certificate. */
  hostDN: string;
  /** With the `gateway` option: a DIRAC gateway (`dips://…`, for the pilot's `-W`) serving every service over DIPS. */
  gatewayUrl?: string;
  /**
   * Mixed mode (`diracx` option): the DiracX dev server that holds the jobs and sandboxes, at the
   * URL the CS gives in `/DiracX/URL`. Absent otherwise.
   */
  diracx?: DevServer;
  /**
   * The RequestExecutingAgent's pass over ReqManager's requests (request-executing.ts): replays
   * their ForwardDISET operations whose NotBefore is at or before `now` (default: the present).
   */
  executeRequests(now?: Date): Promise<ExecutedRequest[]>;
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
  /**
   * DIRAC v9 with DiracX enabled for the VO (docs/devserver.md, "Mixed mode"): a DiracX dev server
   * runs beside the legacy services and shares their job records and sandbox store; the CS names
   * it in `/DiracX/URL` and enables the JobStateUpdate future client; the pilot proxy carries a
   * DIRACX block with the pilot's DiracX tokens (as v9 SiteDirectors ship it); the jobs are
   * submitted to DiracX. `diracxBlock: false` leaves the block out of the proxy.
   */
  diracx?: boolean | { diracxBlock?: boolean; accessTokenTtlSeconds?: number };
  /**
   * Also run a DIRAC gateway (Framework/Gateway, what the pilot's -W names): one more DIPS
   * listener that answers for every service, JobStateUpdate included, as the real gateway forwards
   * each call to it. Its calls are recorded with listener `gateway`.
   */
  gateway?: boolean;
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
  // A worker node's own host certificate (-c): not the services' host certificate.
  const wnHost = await makeHost(pki.ca, 'wn01.test.local');
  const hostDN = dnOf(wnHost);
  const hostCertDir = join(options.dir, 'wn-host');
  await mkdir(hostCertDir, { recursive: true, mode: 0o700 });
  await writeFile(join(hostCertDir, 'hostcert.pem'), wnHost.certPem, { mode: 0o644 });
  await writeFile(join(hostCertDir, 'hostkey.pem'), wnHost.keyPem, { mode: 0o600 });
  await chmod(join(hostCertDir, 'hostkey.pem'), 0o600);
  const hostDNs = new Set([hostDN]);
  const releaseVersion = options.releaseVersion ?? '9.0.4';
  const state = new DevState();
  const users = new Map<string, Issued>([
    [ownerDN, owner],
    [pilotDN, pki.user],
  ]);
  const userNames = new Map([
    [ownerDN, 'alice'],
    [pilotDN, 'pilot'],
  ]);
  let cfgText = '';
  const dataState = new DevDataState();
  const vomsRoles = new Map<string, string>(options.ownerVomsRole ? [['gridpp_user', options.ownerVomsRole]] : []);
  const mixed = options.diracx ? (options.diracx === true ? {} : options.diracx) : null;
  // DiracX names its sandboxes SB:SandboxSE|/S3/…: the SE the CS describes must carry that name.
  const sandboxSE = mixed ? 'SandboxSE' : SE;
  const setup: ServiceSetup = {
    state,
    releaseVersions: [releaseVersion],
    sandboxSE,
    maxSandboxBytes: Math.round((options.sandboxMaxMiB ?? 10) * 1024 * 1024),
    cfgText: () => cfgText,
    users,
    userNames,
    vomsAttributeOf: (group) => vomsRoles.get(group),
  };

  const diracx = mixed
    ? await startDevServer({
        vo: VO,
        tls: { cert: pki.host.certPem, key: pki.host.keyPem },
        ...(mixed.accessTokenTtlSeconds ? { accessTokenTtlSeconds: mixed.accessTokenTtlSeconds } : {}),
      })
    : undefined;
  const groups = new Map([
    [ownerDN, 'gridpp_user'],
    [pilotDN, 'gridpp_pilot'],
  ]);
  const mixedSetup: MixedSetup | null = diracx
    ? { ...setup, db: diracx.sharedJobDb(), groupOf: (dn) => groups.get(dn) ?? 'unknown' }
    : null;
  if (diracx && mixed?.diracxBlock !== false) await appendFile(pki.proxyPath, diracxBlock(diracx.sharedJobDb().pilotTokens()));

  for (const spec of options.jobs ?? DEMO_JOBS) {
    if (diracx) {
      // Submitted as a v9 client does for a DiracX-enabled VO: the job and its sandbox are DiracX's.
      const inputFiles = spec.inputFiles ? { inputFiles: spec.inputFiles } : {};
      diracx.submitJob({ fields: spec.fields, owner: 'alice', ownerGroup: 'gridpp_user', ...inputFiles });
      continue;
    }
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
  let gatewayUrl: string | undefined;
  const recordOn =
    (listener: 'dips' | 'https' | 'gateway') =>
    (call: DipsCallRecord): void =>
      void state.calls.push({ ...call, listener });
  const tlsOptions = { certPem: pki.host.certPem, keyPem: pki.host.keyPem, caPems: [pki.ca.certPem], hostDNs: () => hostDNs };
  const store = mixedSetup ? mixedSandboxStore(mixedSetup) : sandboxStore(setup);
  const proxies = proxyManager(setup);
  if (mixedSetup) proxies.rpc = { ...proxies.rpc, exchangeProxyForToken: exchangeProxyForToken(mixedSetup) };
  const dipsServices = {
    'WorkloadManagement/Matcher': mixedSetup ? mixedMatcher(mixedSetup) : matcher(setup),
    'WorkloadManagement/PilotManager': pilotManager(setup),
    'WorkloadManagement/JobManager': mixedSetup ? mixedJobManager(mixedSetup) : jobManager(setup),
    'WorkloadManagement/SandboxStore': store,
    'Configuration/Server': configuration(setup),
    'DataManagement/FileCatalog': fileCatalog(dataState, userNames),
    'RequestManagement/ReqManager': reqManager(dataState, userNames),
    'Framework/ProxyManager': proxies,
  };
  const dips = await startDipsServer({ ...tlsOptions, onCall: recordOn('dips'), services: dipsServices });
  servers.push(dips);
  if (options.gateway) {
    // The gateway forwards to each service by its DIPS name; JobStateUpdate's DIPS service exists in v9 beside Tornado's.
    const gateway = await startDipsServer({
      ...tlsOptions,
      onCall: recordOn('gateway'),
      services: {
        ...dipsServices,
        'WorkloadManagement/JobStateUpdate': mixedSetup ? mixedJobStateUpdate(mixedSetup) : jobStateUpdate(setup),
      },
    });
    servers.push(gateway);
    gatewayUrl = `dips://localhost:${gateway.port}`;
  }
  const https = await startHttpsServer({
    ...tlsOptions,
    onCall: recordOn('https'),
    refuseProxies: options.httpsRefusesProxies ?? false,
    services: {
      'WorkloadManagement/TornadoJobStateUpdate': mixedSetup ? mixedJobStateUpdate(mixedSetup) : jobStateUpdate(setup),
      'WorkloadManagement/TornadoSandboxStore': store,
      'Framework/TornadoProxyManager': proxies,
      'Configuration/TornadoConfiguration': configuration(setup),
      'WorkloadManagement/TornadoPilotLogging': pilotLogging(state, () => VO),
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
    options.httpsRefusesProxies
      ? `      ProxyManager = ${d}/Framework/ProxyManager`
      : `      ProxyManager = ${h}/Framework/TornadoProxyManager`,
    '    }',
    '  }',
    '}',
    ...(diracx
      ? [
          // v9: the URL DiracXClient() reads, and the per-service switch ClientSelector reads
          // (PathFinder.useLegacyAdapter: FutureClientEnabled, LegacyClientEnabled before 9.1.18).
          'DiracX',
          '{',
          `  URL = ${diracx.url}`,
          '  FutureClientEnabled',
          '  {',
          '    WorkloadManagement',
          '    {',
          '      JobStateUpdate = yes',
          '    }',
          '  }',
          '}',
        ]
      : []),
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
    '  Hosts',
    '  {',
    '    wn01.test.local',
    '    {',
    `      DN = ${hostDN}`,
    '      Properties = GenericPilot, LimitedDelegation',
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
    `    ${sandboxSE}`,
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
    loggerUrl: `${h}/WorkloadManagement/TornadoPilotLogging`,
    proxyPath: pki.proxyPath,
    caDir: pki.caDir,
    vo: VO,
    setup: 'Dev',
    releaseVersion,
    state,
    data: dataState,
    ownerDN,
    hostCertDir,
    hostDN,
    ...(gatewayUrl ? { gatewayUrl } : {}),
    ...(diracx ? { diracx } : {}),
    executeRequests: (now = new Date()) =>
      executeWaitingRequests(
        dataState.requests,
        { 'WorkloadManagement/JobStateUpdate': mixedSetup ? mixedJobStateUpdate(mixedSetup) : jobStateUpdate(setup) },
        (owner) => [...userNames].find(([, name]) => name === owner)?.[0],
        now,
      ),
    close: async () => {
      await Promise.all([...servers.map((s) => s.close()), ...(diracx ? [diracx.close()] : [])]);
    },
  };
}

/** The DIRACX PEM block v9 appends to a proxy (`addTokenToPEM`): base64 of the credentials JSON, 64 a line. */
function diracxBlock(pair: { access_token: string; refresh_token: string; expires_in: number }): string {
  const document = {
    access_token: pair.access_token,
    refresh_token: pair.refresh_token,
    expires_on: Math.floor(Date.now() / 1000) + pair.expires_in,
  };
  const base64 = Buffer.from(JSON.stringify(document)).toString('base64');
  return `-----BEGIN DIRACX-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END DIRACX-----\n`;
}

function dnOf(issued: Issued): string {
  return `/${issued.name
    .map((rdn) =>
      Object.entries(rdn)
        .map(([k, v]) => `${k}=${v[0]}`)
        .join('+'),
    )
    .join('/')}`;
}

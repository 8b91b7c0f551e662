/**
 * The data seam: what the job path needs from a file catalog, storage and a request service.
 * The legacy DIRAC backend implements Catalog and RequestClient over DIPS/HTTPS (DIRAC File
 * Catalog, ReqManager); Rucio or a DiracX data service would implement the same interfaces.
 * Nothing here knows a wire protocol or the pilot's frame.
 */

/** Catalog metadata of one file (DIRAC FC getFileMetadata). */
export interface FileMetadata {
  size: number;
  /** As the catalog stores it (DIRAC: Adler32 hex, not always 8 digits); null when absent. */
  checksum: string | null;
  checksumType: string | null;
  guid: string | null;
}

/** Per-LFN answers, as DIRAC's Successful/Failed dictionaries. */
export interface BulkResult<T> {
  successful: Map<string, T>;
  /** LFN → the catalog's reason (e.g. "No such file or directory"). */
  failed: Map<string, string>;
}

/** One catalog entry to register (DIRAC FC addFile: PFN, Size, SE, GUID, Checksum). */
export interface NewCatalogFile {
  lfn: string;
  pfn: string;
  size: number;
  se: string;
  guid: string;
  checksum: string;
  checksumType: string;
}

export interface Catalog {
  /** A name for logs and minor statuses, e.g. "FileCatalog". */
  readonly name: string;
  /** LFN → SE name → PFN (DIRAC puts the LFN where no PFN is stored). Active replicas only. */
  getReplicas(lfns: readonly string[]): Promise<BulkResult<Map<string, string>>>;
  getFileMetadata(lfns: readonly string[]): Promise<BulkResult<FileMetadata>>;
  /** LFN → whether it is already registered. */
  exists(lfns: readonly string[]): Promise<BulkResult<boolean>>;
  addFile(files: readonly NewCatalogFile[]): Promise<BulkResult<true>>;
}

/** A failover request as DIRAC's RequestManagementSystem stores it (Request → Operations → Files). */
export interface RequestFile {
  LFN: string;
  PFN?: string;
  GUID?: string;
  Size?: number;
  Checksum?: string;
  ChecksumType?: string;
}

export interface RequestOperation {
  /** ForwardDISET: a DIRAC call to replay (the legacy backend's undelivered job statuses); no files. */
  Type: 'ReplicateAndRegister' | 'RegisterFile' | 'RemoveReplica' | 'RemoveFile' | 'ForwardDISET';
  /** Operation.Arguments (ForwardDISET: the DEncoded rpcStub). */
  Arguments?: string;
  TargetSE?: string;
  SourceSE?: string;
  Catalog?: string;
  Files: RequestFile[];
}

export interface DataRequest {
  RequestName: string;
  JobID: number;
  SourceComponent: string;
  Owner: string | null;
  OwnerGroup: string | null;
  /** Minutes from now before the request agent may act (DIRAC's FailoverRequestDelay). */
  delayMinutes: number;
  Operations: RequestOperation[];
}

export interface RequestClient {
  /** Stores the request in the request service; resolves once it is stored. */
  putRequest(request: DataRequest): Promise<void>;
}

/** One access protocol section of a storage element (Resources/StorageElements/<SE>/<Section>). */
export interface StorageEndpoint {
  /** file, root, https, davs (others are kept but never used by this pilot). */
  protocol: string;
  host: string;
  port: number | null;
  path: string;
  wsUrl: string;
  /** local or remote (DIRAC's Access option); null when not said. */
  access: string | null;
}

export interface StorageElementConfig {
  name: string;
  endpoints: StorageEndpoint[];
  readAccess: boolean;
  writeAccess: boolean;
  /** DIRAC's DiskSE/TapeSE classification: tape replicas are used only as a last resort. */
  tape: boolean;
  /**
   * The protocols reads may use, in preference order: the SE's own AccessProtocols, else
   * Operations DataManagement/AccessProtocols, else DIRAC's default (srm, dips).
   */
  accessProtocols: readonly string[];
  /** The same for writes: WriteProtocols (DIRAC's default: srm, dips). */
  writeProtocols: readonly string[];
}

/** How a job gets its input data (DIRAC InputDataPolicy modules, by their last name). */
export type InputDataPolicy = 'DownloadInputData' | 'InputDataByProtocol';

/** Everything the data path reads from the configuration, already resolved for this pilot's site. */
export interface DataConfig {
  site: string;
  vo: string;
  storageElements: ReadonlyMap<string, StorageElementConfig>;
  /** The site's SEs: LocalSE, else Resources/Sites/<grid>/<site>/SE plus SiteLocalSEMapping (download level). */
  localSEs: readonly string[];
  /** The SEs declared at the site (Resources/Sites/…/SE), for sorting output SEs. */
  siteSEs: readonly string[];
  /** Where outputs go when the job names no OutputSE (StorageElementGroups/SE-USER). */
  defaultOutputSEs: readonly string[];
  /** Failover storage (Operations …/FailoverSEs, else StorageElementGroups/Tier1-Failover). */
  failoverSEs: readonly string[];
  /** Operations InputDataPolicy: the site's policy modules, else Default. */
  inputDataPolicies: readonly InputDataPolicy[];
  /** Operations InputDataPolicy/Protocols/Local and /Remote. */
  localProtocols: readonly string[];
  remoteProtocols: readonly string[];
  allReplicas: boolean;
  /** Operations LFNUserPrefix (default "user"). */
  lfnUserPrefix: string;
  /** Operations DataManagement/RegistrationProtocols. */
  registrationProtocols: readonly string[];
  /** JobWrapper MinOutputDataBufferGB (default 5): room kept free beside the input data. */
  outputBufferBytes: number;
  /** JobWrapper FailoverRequestDelay, minutes (default 45). */
  failoverRequestDelayMinutes: number;
  /** JobWrapper OutputSandboxLimit, bytes (default 10 MiB). */
  outputSandboxLimitBytes: number;
}

/** Credentials a transfer may present: the job owner's proxy (client certificate) or a bearer token. */
export interface TransferCredentials {
  proxyPath?: string;
  /** Trust anchors for https storage (X509_CERT_DIR layout); also X509_CERT_DIR for xrdcp. */
  caDir?: string;
  /** Trust anchors already loaded (PEM texts); used instead of reading caDir. */
  ca?: string[];
  bearerToken?: string;
}

/** What a backend hands the job path for one job's data. */
export interface JobDataServices {
  catalog: Catalog;
  requests: RequestClient;
  config: DataConfig;
  credentials: TransferCredentials;
}

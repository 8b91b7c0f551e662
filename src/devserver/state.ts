import type { StoredJob } from './jobs.js';
import type { Identity } from './auth.js';

export interface PilotRecord {
  pilot_stamp: string;
  vo: string;
  grid_type: string;
  grid_site: string;
  destination_site: string;
  pilot_reference: string;
  status: string;
  registeredAt: string;
  metadata: Record<string, unknown>;
}

export interface PilotLogLine {
  pilotSubject: string;
  pilotStamp: string | null;
  timestamp: string;
  severity: string;
  message: string;
  scope: string;
}

export interface StoredObject {
  data: Buffer;
  sha256: string;
  size: number;
  /** `vo/group/user` of the uploader: READ is namespaced to it. */
  namespace: string;
}

export interface PendingUpload {
  sha256: string;
  size: number;
  namespace: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status?: number;
  userAgent?: string;
}

export interface Violation {
  method: string;
  path: string;
  status: number;
  reason: string;
}

export interface PilotSecretRecord {
  /** The stamp the secret was issued for; null for a VO-wide secret of vacuum pilots (PR #248). */
  stamp: string | null;
  used: boolean;
}

/**
 * Everything the server has acknowledged. It lives outside the listener so `restart()` can drop
 * every connection and come back with nothing lost.
 */
export interface DevServerState {
  vo: string;
  bucket: string;
  jobs: Map<number, StoredJob>;
  nextJobId: number;
  /** Objects by S3 key (`<vo>/<group>/<user>/sha256:<hex>.<format>`). */
  objects: Map<string, StoredObject>;
  pendingUploads: Map<string, PendingUpload>;
  pilots: Map<string, PilotRecord>;
  pilotLogs: PilotLogLine[];
  pilotSecrets: Map<string, PilotSecretRecord>;
  /** Refresh tokens revoked through POST /api/auth/revoke, in order. */
  revocations: { subject: string; pilotStamp: string | null; clientId: string | null }[];
  requests: RecordedRequest[];
  violations: Violation[];
}

export function createState(vo: string): DevServerState {
  return {
    vo,
    bucket: 'sandboxes',
    jobs: new Map(),
    nextJobId: 1,
    objects: new Map(),
    pendingUploads: new Map(),
    pilots: new Map(),
    pilotLogs: [],
    pilotSecrets: new Map(),
    revocations: [],
    requests: [],
    violations: [],
  };
}

/** `<vo>/<group>/<user>`: the part of a sandbox key a caller must own. */
export function namespaceOf(identity: Identity): string {
  return `${identity.vo}/${identity.group}/${identity.preferredUsername}`;
}

import type { OsInfo } from './types.js';
import { parseEnvFile } from './parse.js';
import type { NodeSource } from './source.js';
import type { Warnings } from './warnings.js';

/** /etc/os-release, falling back to /usr/lib/os-release as systemd documents. */
export async function readOs(source: NodeSource, warnings: Warnings): Promise<OsInfo> {
  const text = (await source.readText('/etc/os-release')) ?? (await source.readText('/usr/lib/os-release'));
  if (text === null) {
    warnings.add('os', '/etc/os-release and /usr/lib/os-release are missing');
    return { id: 'unknown', versionId: 'unknown', prettyName: 'unknown' };
  }
  const fields = parseEnvFile(text);
  if (!fields.ID) warnings.add('os', 'os-release has no ID line');
  return {
    id: fields.ID ?? 'unknown',
    versionId: fields.VERSION_ID ?? 'unknown',
    prettyName: fields.PRETTY_NAME ?? fields.NAME ?? 'unknown',
  };
}

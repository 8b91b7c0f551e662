import { SandboxError } from './errors.js';

/** Linux limits: PATH_MAX and NAME_MAX, in bytes. */
export const MAX_PATH_BYTES = 4096;
export const MAX_COMPONENT_BYTES = 255;

/**
 * The components of an archive path, or a refusal. Absolute paths and any `..` are refused outright
 * (not stripped or resolved, as GNU tar and Python's tarfile do): a sandbox built by honest tools
 * never contains them. `.` and empty components are dropped, so `./a//b` is `a/b`; the archive
 * root (`./`) is the empty list.
 */
export function entryComponents(raw: string, what = 'entry'): string[] {
  if (raw.includes('\0')) throw new SandboxError('bad-path', `${what} name contains a NUL byte`, { entry: raw });
  if (Buffer.byteLength(raw, 'utf8') > MAX_PATH_BYTES) {
    throw new SandboxError('bad-path', `${what} name is longer than ${MAX_PATH_BYTES} bytes`, { entry: raw.slice(0, 200) });
  }
  if (raw.startsWith('/')) throw new SandboxError('absolute-path', `${what} name is absolute`, { entry: raw });
  const components = raw.split('/').filter((c) => c !== '' && c !== '.');
  for (const component of components) {
    if (component === '..') throw new SandboxError('path-traversal', `${what} name contains ".."`, { entry: raw });
    if (Buffer.byteLength(component, 'utf8') > MAX_COMPONENT_BYTES) {
      throw new SandboxError('bad-path', `${what} name has a component longer than ${MAX_COMPONENT_BYTES} bytes`, { entry: raw });
    }
  }
  return components;
}

/** The same rules for a hardlink target, reported as a hardlink escape. */
export function hardlinkTargetComponents(raw: string, entry: string): string[] {
  try {
    const components = entryComponents(raw, 'hardlink target');
    if (components.length === 0) throw new SandboxError('hardlink-escape', 'hardlink target is the archive root');
    return components;
  } catch (error) {
    if (error instanceof SandboxError && error.reason !== 'bad-path') {
      throw new SandboxError('hardlink-escape', `hardlink to ${JSON.stringify(raw)} points outside the sandbox`, { entry });
    }
    throw rename(error, entry);
  }
}

function rename(error: unknown, entry: string): unknown {
  return error instanceof SandboxError ? new SandboxError(error.reason, error.message, { entry }) : error;
}

/**
 * Apptainer's stderr, mapped to a minor status a user or site admin can act on. Most specific
 * first: "could not open image … no such file or directory" is a missing image, not a bad one.
 * Messages as Apptainer 1.x and Singularity 3.x print them (pilot3 errorcodes.py lists the first two).
 */
export interface ContainerFailurePattern {
  name: string;
  pattern: RegExp;
  minorStatus: string;
}

export const CONTAINER_FAILURE_PATTERNS: readonly ContainerFailurePattern[] = [
  {
    name: 'userns',
    pattern:
      /Failed to create user namespace|user namespaces? (are |is )?not (enabled|supported|allowed)|max_user_namespaces|unprivileged user namespace/i,
    minorStatus: 'Container failed: user namespaces unavailable',
  },
  {
    name: 'loop-devices',
    pattern: /No more available loop devices|failed to (attach|find|set) loop device|could not attach image file to loop device/i,
    minorStatus: 'Container failed: no loop devices available',
  },
  {
    name: 'image-not-found',
    pattern: /could not open image [^\n]*(no such file or directory|not found)|image [^\n]* (does not exist|not found)/i,
    minorStatus: 'Container failed: image not found',
  },
  {
    name: 'image-unreadable',
    pattern:
      /could not open image|image format not recognized|failed to (open|mount|read) image|not a valid image|squashfs[^\n]*(corrupt|invalid)/i,
    minorStatus: 'Container failed: image could not be opened',
  },
  {
    name: 'fuse',
    pattern: /squashfuse[^\n]*(not found|failed)|fuse[^\n]*(not available|permission denied|failed)|\/dev\/fuse/i,
    minorStatus: 'Container failed: FUSE mount unavailable',
  },
  {
    name: 'bind',
    pattern:
      /mount source [^\n]* doesn't exist|while mounting [^\n]*(failed|denied|no such)|destination [^\n]* doesn't exist in container|invalid bind/i,
    minorStatus: 'Container failed: bind mount failed',
  },
  {
    name: 'no-space',
    pattern: /no space left on device/i,
    minorStatus: 'Container failed: no space left on device',
  },
  {
    name: 'permission',
    pattern: /operation not permitted|permission denied/i,
    minorStatus: 'Container failed: permission denied',
  },
];

export function classifyContainerFailure(stderr: string, exitCode: number | null): { pattern: string; minorStatus: string } {
  for (const candidate of CONTAINER_FAILURE_PATTERNS) {
    if (candidate.pattern.test(stderr)) return { pattern: candidate.name, minorStatus: candidate.minorStatus };
  }
  const code = exitCode === null ? 'a signal' : `code ${exitCode}`;
  return { pattern: 'unknown', minorStatus: `Container failed: apptainer exited with ${code} before the payload ran` };
}

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Test helper: absolute paths of the repository's captured nodes (never ../shared). */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const nodeCapture = (name: string): string => path.join(repoRoot, 'tests', 'fixtures', 'nodes', name);
export const ownCapture = (name: string): string => path.join(repoRoot, 'tests', 'fixtures', 'captures', name);
export const matchmakingDir = (kind: 'nodes' | 'jobs'): string => path.join(repoRoot, 'tests', 'fixtures', 'matchmaking-poc', kind);

export { SandboxError, isSandboxError, SANDBOX_REASONS, type SandboxReason } from './errors.js';
export { DEFAULT_LIMITS, type SandboxLimits } from './limits.js';
export { detectFormat, detectFileFormat, type SandboxFormat } from './format.js';
export { sha256File, sha256FromPfn, verifySha256 } from './checksum.js';
export { extractSandbox, type ExtractOptions, type ExtractReport } from './extract.js';
export type { OnExisting } from './commit.js';
export { packOutputSandbox, packDirectory, type PackOptions, type PackedOutputSandbox, type SkippedPath } from './pack.js';
export type { WrittenArchive } from './compress.js';

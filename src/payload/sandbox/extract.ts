import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, type Logger } from '../../core/logger.js';
import { ByteSource } from './byte-source.js';
import { verifySha256 } from './checksum.js';
import { commitStaging, type OnExisting } from './commit.js';
import { openDecompressed } from './decompress.js';
import { SandboxError } from './errors.js';
import { detectFileFormat, type SandboxFormat } from './format.js';
import { resolveLimits, type SandboxLimits } from './limits.js';
import { readTarEntries } from './tar-reader.js';
import { EntryWriter, type WriteCounts } from './write-entries.js';

export interface ExtractOptions {
  limits?: Partial<SandboxLimits>;
  /** sha256 hex the archive must have (DiracX PFNs carry it); checked before a byte is parsed. */
  expectedSha256?: string;
  /** When destDir already has a file the archive has: replace it (default, as DIRAC's extractall does) or refuse. */
  onExisting?: OnExisting;
  logger?: Logger;
}

export interface ExtractReport extends WriteCounts {
  archive: string;
  destDir: string;
  format: SandboxFormat;
  /** The verified sha256 when `expectedSha256` was given; null otherwise (no second read to compute it). */
  sha256: string | null;
  compressedBytes: number;
  /** Size of the decompressed tar stream read up to the end-of-archive marker. */
  expandedBytes: number;
}

/**
 * Extract a sandbox archive into destDir, all or nothing. Entries go into a private staging
 * directory beside destDir (mode 0700) and are moved into place only once the whole archive has
 * passed every rule of docs/sandboxes.md; on any refusal the staging directory is removed and
 * destDir is untouched. Throws SandboxError.
 */
export async function extractSandbox(archivePath: string, destDir: string, options: ExtractOptions = {}): Promise<ExtractReport> {
  const logger = options.logger ?? silentLogger();
  const limits = resolveLimits(options.limits);
  const dest = path.resolve(destDir);
  try {
    const report = await extractAtomically(archivePath, dest, limits, options);
    logger.info(
      { archive: archivePath, destDir: dest, format: report.format, entries: report.entries, bytes: report.bytesWritten },
      'sandbox extracted',
    );
    if (report.strippedModes.length > 0) {
      logger.warn(
        { entries: report.strippedModes.slice(0, 20) },
        `stripped setuid/setgid/sticky bits from ${report.strippedModes.length} entries`,
      );
    }
    return report;
  } catch (error) {
    const refusal = asSandboxError(error);
    logger.warn({ archive: archivePath, reason: refusal.reason, entry: refusal.entry }, `sandbox refused: ${refusal.message}`);
    throw refusal;
  }
}

async function extractAtomically(
  archivePath: string,
  dest: string,
  limits: SandboxLimits,
  options: ExtractOptions,
): Promise<ExtractReport> {
  const compressedBytes = (await stat(archivePath)).size;
  if (options.expectedSha256 !== undefined) await verifySha256(archivePath, options.expectedSha256);
  const format = await detectFileFormat(archivePath);
  await mkdir(path.dirname(dest), { recursive: true });
  const staging = await mkdtemp(path.join(path.dirname(dest), `.${path.basename(dest)}.staging-`));
  try {
    const { counts, expandedBytes } = await extractInto(archivePath, format, staging, limits, compressedBytes);
    await commitStaging(staging, dest, options.onExisting ?? 'replace');
    const sha256 = options.expectedSha256?.trim().toLowerCase() ?? null;
    return { archive: archivePath, destDir: dest, format, sha256, compressedBytes, expandedBytes, ...counts };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function extractInto(
  archivePath: string,
  format: SandboxFormat,
  staging: string,
  limits: SandboxLimits,
  compressedBytes: number,
): Promise<{ counts: WriteCounts; expandedBytes: number }> {
  // The decoder stops at whichever limit comes first, so a bzip2 block cannot balloon in memory.
  const ratioCap = Math.max(limits.ratioGraceBytes, limits.maxRatio * compressedBytes);
  const stream = openDecompressed(archivePath, format, {
    maxOutputBytes: Math.min(limits.maxBytes, ratioCap),
    onLimit: () => (limits.maxBytes <= ratioCap ? tooLarge(limits) : ratioExceeded(limits, compressedBytes)),
  });
  let decodedBytes = 0;
  const source = new ByteSource(stream.chunks, (length) => {
    decodedBytes += length;
    if (decodedBytes > limits.maxBytes) throw tooLarge(limits);
    if (format !== 'tar' && decodedBytes > ratioCap) throw ratioExceeded(limits, compressedBytes);
  });
  const writer = new EntryWriter(staging);
  let current: string | undefined;
  try {
    for await (const entry of readTarEntries(source, { maxMetaBytes: limits.maxMetaBytes })) {
      current = entry.path;
      if (++writer.counts.entries > limits.maxEntries) {
        throw new SandboxError('too-many-entries', `archive has more than ${limits.maxEntries} entries`, { entry: entry.path });
      }
      // Refuse on the declared size, before writing a byte of it.
      if (source.position + entry.size > limits.maxBytes) {
        throw new SandboxError('too-large', `entry declares ${entry.size} bytes, past the limit of ${limits.maxBytes}`, {
          entry: entry.path,
        });
      }
      await writer.write(entry);
      current = undefined;
    }
    await writer.finish();
  } catch (error) {
    const refusal = asSandboxError(error);
    throw current === undefined ? refusal : refusal.withEntry(current);
  } finally {
    stream.close();
  }
  // The tar stream up to its end marker; decoders may have produced a little more, never parsed.
  return { counts: writer.counts, expandedBytes: source.position };
}

function tooLarge(limits: SandboxLimits): SandboxError {
  return new SandboxError('too-large', `archive expands past the limit of ${limits.maxBytes} bytes`);
}

function ratioExceeded(limits: SandboxLimits, compressedBytes: number): SandboxError {
  return new SandboxError(
    'ratio',
    `archive expands more than ${limits.maxRatio} times its compressed size of ${compressedBytes} bytes (decompression bomb?)`,
  );
}

function asSandboxError(error: unknown): SandboxError {
  if (error instanceof SandboxError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new SandboxError('io', `sandbox extraction failed: ${detail}`, { cause: error });
}

import { mkdirSync, readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { JOB_STATUSES } from '../../backend/types.js';
import type { Logger } from '../../core/logger.js';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { writeFileAtomic, writeFileAtomicSync } from '../credentials/atomic-write.js';

/** One `PATCH /api/jobs/status` entry, in the wire's own field names. */
export const SpooledStatusSchema = z.object({
  jobId: z.number().int().positive(),
  timestamp: z.string().min(1),
  update: z
    .object({
      Status: z.enum(JOB_STATUSES).optional(),
      MinorStatus: z.string().optional(),
      ApplicationStatus: z.string().optional(),
      Source: z.string(),
    })
    .strict(),
});
export type SpooledStatus = z.infer<typeof SpooledStatusSchema>;

export const SPOOL_FILE_NAME = 'diracx-status-spool.jsonl';

/**
 * Status updates the server has not acknowledged, on disk as JSON lines, so that a pilot that
 * ends (or dies) during an outage leaves them for the next pilot using the same spool directory.
 * The file is a snapshot of the whole undelivered queue, rewritten atomically; it is removed
 * once everything is delivered. One pilot per spool directory.
 */
export class StatusSpool {
  readonly file: string;

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new PilotError(
        ExitCode.WORKDIR,
        `cannot create the status spool directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    this.file = path.join(dir, SPOOL_FILE_NAME);
  }

  /** Entries left by a previous pilot; unreadable lines are reported and skipped. */
  read(): SpooledStatus[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.logger.warn(`status spool ${this.file} unreadable: ${(error as Error).message}`);
      return [];
    }
    const entries: SpooledStatus[] = [];
    text.split('\n').forEach((line, index) => {
      if (line.trim() === '') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        this.logger.warn(`status spool ${this.file}:${index + 1}: not JSON, skipped`);
        return;
      }
      const result = SpooledStatusSchema.safeParse(parsed);
      if (result.success) entries.push(result.data);
      else {
        const issue = result.error.issues[0];
        this.logger.warn(
          `status spool ${this.file}:${index + 1}: ${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'invalid'}, skipped`,
        );
      }
    });
    return entries;
  }

  /** The same as write(), synchronously (the pilot's forced exit after its stop grace). */
  writeNow(entries: readonly SpooledStatus[]): void {
    if (entries.length === 0) return; // an older snapshot may still hold entries: leave it
    writeFileAtomicSync(this.file, entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
  }

  async write(entries: readonly SpooledStatus[]): Promise<void> {
    if (entries.length === 0) {
      await unlink(this.file).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      return;
    }
    await writeFileAtomic(this.file, entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
  }
}

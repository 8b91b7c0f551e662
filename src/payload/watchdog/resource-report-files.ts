import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ResourceReport } from './resource-report.js';

/** prmon's default file names: the output sandbox picks them up when the JDL lists them. */
export const PRMON_TEXT_FILE = 'prmon.txt';
export const PRMON_JSON_FILE = 'prmon.json';

/**
 * Writes `name` in the job directory without ever opening what the job left under that name: a
 * fresh file (O_EXCL, O_NOFOLLOW, random name) is written and renamed over it. A symlink, FIFO or
 * hard link the payload planted at `name` is replaced as a directory entry; its target is never
 * written, truncated or blocked on.
 */
export function replaceJobFile(jobDir: string, name: string, content: string): void {
  const temporary = path.join(jobDir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, content);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temporary, path.join(jobDir, name));
  } catch (error) {
    // A directory the job made under that name cannot be replaced: the report is not written.
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Both prmon files, once the payload's processes are gone. */
export function writeResourceReport(jobDir: string, report: ResourceReport): void {
  replaceJobFile(jobDir, PRMON_TEXT_FILE, report.timeSeries());
  replaceJobFile(jobDir, PRMON_JSON_FILE, `${JSON.stringify(report.summary(), null, 2)}\n`);
}

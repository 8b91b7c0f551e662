import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh private directory for one test (unit or integration). */
export function tempDir(prefix = 'pilot-it-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

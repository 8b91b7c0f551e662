/**
 * Runs in its own test file on purpose: PR_SET_CHILD_SUBREAPER cannot be undone, and vitest gives
 * each file its own worker process, so only this file's worker becomes a subreaper.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../src/native/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { ensureSubreaper } from '../../src/payload/process/subreaper.js';
import { makeJobDir, processState, removeDir, runPayload, waitFor } from './helpers.js';

const native = loadNativeAddon();
const reason =
  native === null
    ? 'native addon not loadable here (run scripts/build-native.sh)'
    : typeof native.reap !== 'function'
      ? 'native addon lacks reap()'
      : null;
if (reason) console.warn(`skipping subreaper tests: ${reason}`);

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe.skipIf(reason !== null)('pilot as child subreaper (native addon)', () => {
  it('becomes a subreaper', () => {
    expect(ensureSubreaper(native, silentLogger())).toEqual({ active: true });
  });

  it('catches an orphan that left the session AND dropped the environment, and reaps its zombie', async () => {
    const dir = makeJobDir();
    dirs.push(dir);
    // Nothing links this daemon to the payload any more except that it was re-parented to us.
    const script =
      "( setsid env -i /bin/sh -c 'echo $$ > daemon.pid; exec sleep 300' & ); while [ ! -s daemon.pid ]; do sleep 0.05; done; sleep 0.2; exit 0";
    const handle = runPayload(dir, ['/bin/sh', '-c', script], { native });
    await waitFor(() => {
      try {
        return readFileSync(path.join(dir, 'daemon.pid'), 'utf8').trim() !== '';
      } catch {
        return false;
      }
    });
    const daemon = Number(readFileSync(path.join(dir, 'daemon.pid'), 'utf8'));
    const result = await handle.done;
    expect(result.exitCode).toBe(0);
    // Gone from /proc entirely: killed, and its zombie reaped by us (not left for init).
    expect(processState(daemon)).toBeNull();
  });
});

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pinToCpus, readAllowedCpus } from './affinity.js';
import { silentLogger } from '../../core/logger.js';
import { tempDir } from '../../../tests/support/temp-dir.js';

describe('CPU pinning', () => {
  it('reads the affinity list from /proc status', () => {
    const file = path.join(tempDir(), 'status');
    writeFileSync(file, 'Name:\tnode\nCpus_allowed:\tff\nCpus_allowed_list:\t0-2,5\n');
    expect(readAllowedCpus(file)).toEqual([0, 1, 2, 5]);
    expect(readAllowedCpus('/nonexistent')).toBeNull();
    expect(readAllowedCpus('/proc/self/status')?.length).toBeGreaterThan(0);
  });

  it('starts the payload through taskset with its CPU list, and leaves an unpinned plan alone', () => {
    const plan = { file: '/job/run.sh', args: ['a'], env: {}, cwd: '/job' };
    expect(pinToCpus(plan, [], silentLogger())).toBe(plan);
    const pinned = pinToCpus(plan, [2, 3], silentLogger());
    expect(pinned.file).toMatch(/\/taskset$/);
    expect(pinned.args).toEqual(['--cpu-list', '2,3', '/job/run.sh', 'a']);
  });
});

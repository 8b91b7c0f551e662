import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs in a child process: the writes go to real descriptors (a pipe here), as in production.
const module = path.join(import.meta.dirname, 'stdio.ts');
function run(code: string, input?: string) {
  return spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
}

describe('writeStdout / writeStderr', () => {
  it('writes the whole text to fd 1 and fd 2, in order, before an immediate exit', () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const result = run(`import { writeStdout, writeStderr } from ${JSON.stringify(module)};
writeStdout('a\\n'); writeStderr('err\\n'); writeStdout('x'.repeat(${big.length})); writeStdout('é\\n'); process.exit(0);`);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('err\n');
    expect(result.stdout).toBe(`a\n${big}é\n`);
  });

  it('gives up quietly when nobody reads (EPIPE), without throwing', () => {
    const result = spawnSync(
      '/bin/sh',
      [
        '-c',
        `${JSON.stringify(process.execPath)} --experimental-strip-types --no-warnings --input-type=module -e "import { writeStdout } from '${module}'; process.on('SIGPIPE', () => {}); for (let i = 0; i < 50; i++) writeStdout('y'.repeat(65536)); process.stderr.write('done');" | head -c 10 >/dev/null`,
      ],
      { encoding: 'utf8' },
    );
    expect(result.stderr).toContain('done');
  });
});

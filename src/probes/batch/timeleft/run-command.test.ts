import { describe, expect, it } from 'vitest';
import { createCommandRunner } from './run-command.js';

const node = process.execPath;

describe('createCommandRunner', () => {
  const run = createCommandRunner(5_000);

  it('returns stdout, stderr and the exit code without throwing', async () => {
    await expect(run(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exit(3)'])).resolves.toEqual({
      exitCode: 3,
      stdout: 'out',
      stderr: 'err',
    });
  });

  it('passes extra environment on top of the inherited one', async () => {
    const result = await run(node, ['-e', 'process.stdout.write(process.env.SKIP_LOCAL_CONFIG_FILE + ":" + Boolean(process.env.PATH))'], {
      env: { SKIP_LOCAL_CONFIG_FILE: 'true' },
    });
    expect(result.stdout).toBe('true:true');
  });

  it('reports a missing command as 127', async () => {
    await expect(run('no-such-batch-command-here', ['-j', '1'])).resolves.toEqual({
      exitCode: 127,
      stdout: '',
      stderr: 'command not found',
    });
  });

  it('reports a hung command as 124 after the timeout', async () => {
    const result = await createCommandRunner(300)(node, ['-e', 'setTimeout(() => {}, 20000)']);
    expect(result).toMatchObject({ exitCode: 124, stderr: 'timed out after 0.3 s' });
  });
});

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { demoJobs } from './demo-jobs.js';
import { startDevServer, type FaultProfile } from './index.js';
import { generateDevTls } from './tls.js';

/**
 * `node dist/devserver.cjs [--port N] [--tls-dir DIR] [--demo] [--credentials-out FILE] …`
 * Prints one JSON line when ready: {"url", "credentialsFile", "caFile", "caDir"}; runs until
 * SIGTERM/SIGINT. Dev only: it listens on 127.0.0.1 and serves /dev/jobs without a token.
 */
const USAGE = `usage: devserver [--port N] [--tls-dir DIR] [--demo] [--credentials-out FILE] [--vo NAME]
                 [--match-path PATH] [--pilot-logs] [--secret-exchange] [--faults JSON]`;

function fail(message: string): never {
  process.stderr.write(`devserver: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseFaults(text: string | undefined): FaultProfile | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail(`--faults is not JSON: ${text}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('--faults must be a JSON object');
  for (const [key, rate] of Object.entries(value)) {
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) fail(`--faults: ${key} must be a non-negative number`);
  }
  return value;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        'tls-dir': { type: 'string' },
        demo: { type: 'boolean', default: false },
        'credentials-out': { type: 'string' },
        vo: { type: 'string' },
        'match-path': { type: 'string' },
        'pilot-logs': { type: 'boolean', default: false },
        'secret-exchange': { type: 'boolean', default: false },
        faults: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer 0..65535, got ${values.port}`);
  if (values['match-path'] !== undefined && !values['match-path'].startsWith('/')) fail('--match-path must start with /');

  const tls = values['tls-dir'] ? await generateDevTls(path.resolve(values['tls-dir'])) : null;
  const server = await startDevServer({
    port,
    ...(values.vo ? { vo: values.vo } : {}),
    ...(values['match-path'] ? { matchPath: values['match-path'] } : {}),
    jobs: values.demo ? demoJobs() : [],
    features: { pilotLogs: values['pilot-logs'], secretExchange: values['secret-exchange'] },
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    ...(values.faults ? { faults: parseFaults(values.faults) } : {}),
  });
  const credentialsFile = path.resolve(
    values['credentials-out'] ?? path.join(await mkdtemp(path.join(tmpdir(), 'devserver-')), 'pilot-credentials.json'),
  );
  await server.writePilotCredentials(credentialsFile);
  process.stdout.write(`${JSON.stringify({ url: server.url, credentialsFile, caFile: tls?.caFile ?? null, caDir: tls?.caDir ?? null })}\n`);

  const shutdown = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`devserver: ${(error as Error).message ?? String(error)}\n`);
  process.exit(1);
});

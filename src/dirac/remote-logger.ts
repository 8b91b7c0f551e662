/**
 * DIRAC's remote pilot logger (`-z/--pilotLogging` with `-g/--loggerURL`), on the wire as the
 * DIRAC pilot speaks it (DIRACGrid/Pilot `pilotTools.py`: `RemoteLogger`, `FixedSizeBuffer`,
 * `sendMessage`; `pilotCommands.py`: the `finaliseLogs` call when a command exits): an HTTPS POST
 * to the URL as it is given (DIRAC's `WorkloadManagement/TornadoPilotLogging` service), with the
 * pilot proxy as client certificate and the CA directory as trust, form fields `method` and `args`,
 * `args` being the JSON list `[<the buffered text as a JSON string>, <pilot UUID>, <VO>]`.
 * The text is lines `<UTC ISO time with microseconds>Z <LEVEL> [<component>] <message>`, as the
 * DIRAC pilot's logger prints them.
 */
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { jencode } from './codec/index.js';
import { DiracHttpsClient } from './https-client.js';
import { expectOk } from './result.js';
import { loadCaDirectory } from './x509/ca-dir.js';
import { assertProxyValid, loadProxyFile } from './x509/proxy-file.js';

export interface RemoteLoggerOptions {
  /** The logger service URL, e.g. `https://dirac.example.org:8443/WorkloadManagement/TornadoPilotLogging`. */
  url: string;
  proxyPath: string;
  caDir: string;
  /** What the pilot says it is: its --pilotUUID (the service files the log under it). */
  pilotUUID: string;
  /** --wnVO, or "unknown" as the DIRAC pilot sends it. */
  vo: string;
  timeoutMs?: number;
}

/** One log line as DIRAC's pilot logger writes it; `severity` as pino names it (INFO, WARN, …). */
export function formatRemoteLogLine(line: { timestamp: string; severity: string; message: string; scope: string }): string {
  // Python's strftime("%Y-%m-%dT%H:%M:%S.%fZ"): six digits of fraction.
  const time = line.timestamp.replace(/\.(\d{3})Z$/, '.$1000Z').replace(/(T\d\d:\d\d:\d\d)Z$/, '$1.000000Z');
  // The DIRAC pilot's RemoteLogger says WARNING; fatal records are its ERROR.
  const level = line.severity === 'WARN' ? 'WARNING' : line.severity === 'FATAL' ? 'ERROR' : line.severity;
  return `${time} ${level} [${line.scope}] ${line.message.replace(/\r?\n/g, ' ')}`;
}

export class DiracRemoteLogger {
  private constructor(
    private readonly client: DiracHttpsClient,
    private readonly url: URL,
    private readonly options: RemoteLoggerOptions,
  ) {}

  static async open(options: RemoteLoggerOptions): Promise<DiracRemoteLogger> {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new PilotError(ExitCode.CONFIG, `-g/--loggerURL ${JSON.stringify(options.url)} is not a URL`);
    }
    if (url.protocol !== 'https:') {
      throw new PilotError(ExitCode.CONFIG, `-g/--loggerURL ${options.url}: DIRAC's remote logger is an https:// service`);
    }
    const proxy = await loadProxyFile(options.proxyPath);
    assertProxyValid(proxy);
    const ca = await loadCaDirectory(options.caDir);
    const client = new DiracHttpsClient({ credentials: { proxy, ca: ca.pems }, timeoutMs: options.timeoutMs ?? 30_000 });
    return new DiracRemoteLogger(client, url, options);
  }

  /** `sendMessage`: a block of lines (each ending in a newline), filed under the pilot's UUID. */
  async sendMessage(text: string): Promise<void> {
    await this.send('sendMessage', text);
  }

  /** `finaliseLogs`: the pilot's end, with its exit code as DIRAC's pilot sends it (a string). */
  async finaliseLogs(exitCode: number): Promise<void> {
    await this.send('finaliseLogs', { retCode: String(exitCode) });
  }

  private async send(method: string, raw: string | Record<string, string>): Promise<void> {
    // The first element is itself JSON (json.dumps of the message), as the DIRAC pilot nests it.
    const args = [jencode(raw), this.options.pilotUUID, this.options.vo];
    expectOk(await this.client.call(this.url, method, args), `${this.url.pathname} ${method}`);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

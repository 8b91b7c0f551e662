/**
 * WorkloadManagement/TornadoPilotLogging with DIRAC's file-cache plugin behaviour
 * (`TornadoPilotLoggingHandler`, `FileCacheLoggingPlugin`): `sendMessage(message, pilotUUID[, vo])`
 * appends the JSON-decoded message (a string, or a list of lines) to that pilot's log, filed under
 * the caller's VO; `finaliseLogs(payload, pilotUUID[, vo])` closes it with the `retCode` of the
 * JSON payload. A pilot UUID that is neither a uuid nor a 32-hex stamp is refused, as the plugin
 * refuses it ("Pilot UUID is invalid"). The DIRAC pilot sends its VO as a third argument.
 */
import { sERROR, sOK, type CallContext, type ServiceHandlers } from './dips-server.js';
import type { DevState } from './state.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STAMP = /^[0-9a-f]{32}$/;

export function pilotLogging(state: DevState, voOf: (ctx: CallContext) => string): ServiceHandlers {
  const logOf = (uuid: string, ctx: CallContext) => {
    const vo = voOf(ctx);
    let log = state.pilotLogs.get(uuid);
    if (!log) {
      log = { uuid, vo, text: '', finalised: null, messages: 0 };
      state.pilotLogs.set(uuid, log);
    }
    return log;
  };
  const decode = (text: unknown): unknown => {
    if (typeof text !== 'string') throw new Error('the message must be a JSON string');
    return JSON.parse(text) as unknown;
  };
  return {
    rpc: {
      sendMessage: (args, ctx) => {
        const uuid = String(args[1] ?? '');
        if (!UUID.test(uuid) && !STAMP.test(uuid)) return sERROR('Pilot UUID is invalid');
        let content: unknown;
        try {
          content = decode(args[0]);
        } catch (error) {
          return sERROR(`Message is not JSON: ${(error as Error).message}`);
        }
        const log = logOf(uuid, ctx);
        log.text += Array.isArray(content) ? content.map((line) => `${String(line)}\n`).join('') : String(content);
        log.messages++;
        return sOK(`Message logged successfully for pilot: ${uuid} and ${log.vo}`);
      },
      finaliseLogs: (args) => {
        const uuid = String(args[1] ?? '');
        if (!UUID.test(uuid) && !STAMP.test(uuid)) return sERROR('Pilot UUID is invalid');
        let payload: unknown;
        try {
          payload = decode(args[0]);
        } catch (error) {
          return sERROR(`Payload is not JSON: ${(error as Error).message}`);
        }
        const log = state.pilotLogs.get(uuid);
        if (!log) return sERROR(`No log for pilot ${uuid}`);
        const retCode = payload && typeof payload === 'object' ? (payload as Record<string, unknown>).retCode : undefined;
        log.finalised = { retCode: retCode === undefined ? '0' : String(retCode) };
        return sOK();
      },
    },
  };
}

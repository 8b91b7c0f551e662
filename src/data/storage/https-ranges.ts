/**
 * A large https download as byte ranges fetched side by side (`Range: bytes=a-b`), each on a
 * connection of its own, written at its offset into one file and summed on its own, the sums then
 * combined into the file's Adler-32. Why: one GET is one stream, served by one server thread and
 * one TLS session; on the XRootD storage the pilot is measured against, two parallel range GETs
 * moved 1 GiB in 0.75 of the time one took (curl both ways, docs/data.md), as xrdcp's root://
 * does with its own parallel reads.
 *
 * Ranges are an optimisation only: a server that does not answer each part exactly as asked
 * (206 with that Content-Range) gets the plain GET instead, from the start of the file.
 */
import type { FileHandle } from 'node:fs/promises';
import { adler32Hex, combineAdler32 } from '../adler32.js';
import { DataError } from '../errors.js';
import { CopyBatchFile } from './copy-batch-file.js';
import { statusError, type BodySink } from './https-exchange.js';
import type { ReplyHead } from './http-reply.js';
import type { TransferResult } from './transfer.js';

/** One GET of `url` with these extra headers, following redirects (https.ts `follow`). */
export type RangeGet = (
  extra: Record<string, string>,
  signal: AbortSignal,
  onHead: (head: ReplyHead) => BodySink | null,
) => Promise<ReplyHead>;

export interface RangeOptions {
  /** Parts fetched side by side. */
  parts: number;
  /** Smaller files take one GET: a part's connection and handshake cost more than they save. */
  minBytes: number;
}

/**
 * Two parts: each is one more connection (a mover on a dCache pool, a thread on XRootD) held by
 * every pilot downloading at a site, and on the two cores measured, four parts were no faster than two.
 */
export const DEFAULT_RANGES: RangeOptions = { parts: 2, minBytes: 64 * 1024 * 1024 };

interface Part {
  start: number;
  /** Inclusive, as in the Range header. */
  end: number;
}

/** `parts` contiguous ranges covering [0, size), the last taking the remainder. */
export function planParts(size: number, parts: number): Part[] {
  const step = Math.floor(size / parts);
  return Array.from({ length: parts }, (_, i) => ({ start: i * step, end: i === parts - 1 ? size - 1 : (i + 1) * step - 1 }));
}

/** Whether the head is the part asked for, of a file of `size` bytes. */
function isPart(head: ReplyHead, part: Part, size: number): boolean {
  if (head.status !== 206) return false;
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((head.headers['content-range'] ?? '').trim());
  if (!range || Number(range[1]) !== part.start || Number(range[2]) !== part.end) return false;
  if (range[3] !== '*' && Number(range[3]) !== size) return false;
  const length = head.headers['content-length'];
  return length === undefined || Number(length) === part.end - part.start + 1;
}

function stopped(error: unknown): boolean {
  return (error as Error)?.name === 'AbortError' || (error instanceof DataError && error.kind === 'aborted');
}

/** The total size a 206 names, when it names one. */
function totalOf(head: ReplyHead): number | null {
  const total = /\/(\d+)\s*$/.exec(head.headers['content-range'] ?? '');
  return head.status === 206 && total ? Number(total[1]) : null;
}

/**
 * Fetches the file of `size` bytes at `url` into `handle` (new and empty) in parts; null when the
 * server did not serve the ranges as asked (the caller then GETs it whole; what the parts wrote
 * is the caller's to truncate). Rejects with the first part's failure, the others stopped.
 */
export async function rangedDownload(
  url: string,
  get: RangeGet,
  handle: FileHandle,
  size: number,
  options: RangeOptions,
  signal: AbortSignal,
): Promise<TransferResult | null> {
  const parts = planParts(size, options.parts);
  const files = parts.map((part) => new CopyBatchFile(handle, part.start, part.end - part.start + 1));
  // One part's failure (or refusal) stops the others at once; the pilot's own stop reaches all of them.
  const stop = new AbortController();
  const onStop = (): void => stop.abort(signal.reason);
  signal.addEventListener('abort', onStop, { once: true });
  if (signal.aborted) onStop();
  let refused = false;
  let failure: unknown = null;

  const fetchPart = async (part: Part, file: CopyBatchFile): Promise<void> => {
    const head = await get({ Range: `bytes=${part.start}-${part.end}` }, stop.signal, (h) => (isPart(h, part, size) ? file : null));
    if (!isPart(head, part, size)) {
      const total = totalOf(head);
      if (total !== null && total !== size)
        throw new DataError('corrupt', `GET ${url}: the server holds ${total} bytes, ${size} were expected`);
      // A whole file (200), another range, or "not satisfiable" (416): no ranges from this server.
      if (head.status === 200 || head.status === 206 || head.status === 416) {
        refused = true;
        stop.abort();
        return;
      }
      throw statusError('GET', url, head.status);
    }
    await file.finish();
    const length = part.end - part.start + 1;
    if (file.size !== length) throw new DataError('other', `GET ${url}: ${file.size} bytes for bytes ${part.start}-${part.end}`);
  };

  await Promise.all(
    parts.map((part, i) =>
      fetchPart(part, files[i]!).catch((error: unknown) => {
        // The first failure is the one to report; the parts it stopped end as stopped.
        if (failure === null && !(stop.signal.aborted && stopped(error))) failure = error;
        stop.abort();
      }),
    ),
  );
  signal.removeEventListener('abort', onStop);
  // No write may land after the caller truncates or removes the file.
  await Promise.all(files.map((file) => file.settled()));
  if (signal.aborted) throw new DataError('aborted', 'stopped: the pilot is shutting down');
  if (failure !== null) throw failure;
  if (refused) return null;
  let sum = files[0]!.sum.value();
  for (let i = 1; i < files.length; i++) sum = combineAdler32(sum, files[i]!.sum.value(), files[i]!.size);
  return { size, adler32: adler32Hex(sum) };
}

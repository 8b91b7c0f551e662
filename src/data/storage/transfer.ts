/** What every storage protocol offers the job path. */
import type { TransferCredentials } from '../types.js';

export interface TransferOptions {
  signal: AbortSignal;
  credentials: TransferCredentials;
  /** No progress for this long ends the transfer (the storage is slow or hung). */
  timeoutMs: number;
  /**
   * The catalog's Adler-32 (hex) of the file, when known: protocols that can check it on the way
   * (xrdcp --cksum) do; the caller checks what they report in any case.
   */
  expectedAdler32?: string;
  /** The catalog's size of the file, when known: an https download of a large file fetches parts of it side by side. */
  expectedSize?: number;
}

export interface TransferResult {
  size: number;
  /** Adler-32 of the bytes moved, when the protocol computed it on the way (8 hex digits). */
  adler32: string | null;
}

export interface StorageProtocol {
  /** Copies `url` to the new local file `dest` (created exclusively; removed on failure). */
  download(url: string, dest: string, options: TransferOptions): Promise<TransferResult>;
  /** Copies the local file `source` to `url`, replacing a leftover from an earlier failed try. */
  upload(source: string, url: string, options: TransferOptions): Promise<TransferResult>;
}

declare module 'unbzip2-stream' {
  import type { Stream } from 'node:stream';
  /** A classic (through) duplex stream: bzip2 in, plain bytes out. */
  export default function unbzip2Stream(): Stream & NodeJS.ReadWriteStream & { destroy(): void };
}

/**
 * The inner loop of Adler-32 in WebAssembly SIMD (128-bit vectors), assembled here from its
 * instructions (no binary blob, no toolchain). One call sums up to 2048 vectors of 16 bytes that
 * the caller copied into the module's memory, and stores three vectors of 32-bit lanes:
 *   - `sums`: the bytes' sum (lanes of 4 bytes each);
 *   - `runs`: Σ over vectors k of the sum of the vectors before k (b's share of the running a);
 *   - `weighted`: Σ of each byte times (16 − its place in its vector).
 * With N vectors, a grows by Σsums and b by 16·N·a + 16·Σruns + Σweighted (Adler32.update adds
 * them, modulo 65521). Each lane stays below 2^31 for N ≤ 2048: runs ≤ 1020·N·(N−1)/2.
 * Null where WebAssembly or its SIMD is not available: the caller sums in JavaScript.
 */

/** Vectors per call, and where the data goes in the module's one 64 KiB page (after the results). */
export const SIMD_MAX_VECTORS = 2048;
export const SIMD_DATA_OFFSET = 64;

const u32leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
const section = (id: number, body: number[]): number[] => [id, ...u32leb(body.length), ...body];
const name = (text: string): number[] => [...u32leb(text.length), ...Buffer.from(text, 'ascii')];

// Opcodes (WebAssembly core and fixed-width SIMD specifications).
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_EQZ = 0x45;
const I32_LT_U = 0x49;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const BLOCK = 0x02;
const LOOP = 0x03;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const I32 = 0x7f;
const V128 = 0x7b;
const simd = (op: number): number[] => [0xfd, ...u32leb(op)];
const V128_LOAD = simd(0x00);
const V128_STORE = simd(0x0b);
const V128_CONST = simd(0x0c);
const I16X8_EXTADD_PAIRWISE_I8X16_U = simd(0x7d);
const I32X4_EXTADD_PAIRWISE_I16X8_U = simd(0x7f);
const I16X8_EXTEND_LOW_I8X16_U = simd(0x89);
const I16X8_EXTEND_HIGH_I8X16_U = simd(0x8a);
const I32X4_ADD = simd(0xae);
const I32X4_DOT_I16X8_S = simd(0xba);
/** memarg for 16-byte accesses: alignment 2^4, offset 0. */
const MEM16 = [4, 0];
const i16x8 = (lanes: number[]): number[] => lanes.flatMap((v) => [v & 0xff, v >> 8]);

// Parameters: 0 = pointer, 1 = vectors. Locals: 2 = sums, 3 = runs, 4 = weighted, 5 = v (v128), 6 = end (i32).
const [PTR, COUNT, SUMS, RUNS, WEIGHTED, V, STOP] = [0, 1, 2, 3, 4, 5, 6];
const body: number[] = [
  2,
  4,
  V128,
  1,
  I32, // locals: 4 × v128, 1 × i32
  LOCAL_GET,
  PTR,
  LOCAL_GET,
  COUNT,
  I32_CONST,
  4,
  I32_SHL,
  I32_ADD,
  LOCAL_SET,
  STOP,
  BLOCK,
  VOID,
  LOCAL_GET,
  COUNT,
  I32_EQZ,
  BR_IF,
  0,
  LOOP,
  VOID,
  LOCAL_GET,
  PTR,
  ...V128_LOAD,
  ...MEM16,
  LOCAL_SET,
  V,
  LOCAL_GET,
  RUNS,
  LOCAL_GET,
  SUMS,
  ...I32X4_ADD,
  LOCAL_SET,
  RUNS,
  LOCAL_GET,
  SUMS,
  LOCAL_GET,
  V,
  ...I16X8_EXTADD_PAIRWISE_I8X16_U,
  ...I32X4_EXTADD_PAIRWISE_I16X8_U,
  ...I32X4_ADD,
  LOCAL_SET,
  SUMS,
  LOCAL_GET,
  WEIGHTED,
  LOCAL_GET,
  V,
  ...I16X8_EXTEND_LOW_I8X16_U,
  ...V128_CONST,
  ...i16x8([16, 15, 14, 13, 12, 11, 10, 9]),
  ...I32X4_DOT_I16X8_S,
  LOCAL_GET,
  V,
  ...I16X8_EXTEND_HIGH_I8X16_U,
  ...V128_CONST,
  ...i16x8([8, 7, 6, 5, 4, 3, 2, 1]),
  ...I32X4_DOT_I16X8_S,
  ...I32X4_ADD,
  ...I32X4_ADD,
  LOCAL_SET,
  WEIGHTED,
  LOCAL_GET,
  PTR,
  I32_CONST,
  16,
  I32_ADD,
  LOCAL_SET,
  PTR,
  LOCAL_GET,
  PTR,
  LOCAL_GET,
  STOP,
  I32_LT_U,
  BR_IF,
  0,
  END,
  END,
  I32_CONST,
  0,
  LOCAL_GET,
  SUMS,
  ...V128_STORE,
  ...MEM16,
  I32_CONST,
  16,
  LOCAL_GET,
  RUNS,
  ...V128_STORE,
  ...MEM16,
  I32_CONST,
  32,
  LOCAL_GET,
  WEIGHTED,
  ...V128_STORE,
  ...MEM16,
  END,
];

const MODULE = Uint8Array.from([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  ...section(1, [1, 0x60, 2, I32, I32, 0]), // type 0: (i32, i32) -> ()
  ...section(3, [1, 0]), // function 0 has type 0
  ...section(5, [1, 0, 1]), // one memory, one page
  ...section(7, [2, ...name('memory'), 2, 0, ...name('block'), 0, 0]),
  ...section(10, [1, ...u32leb(body.length), ...body]),
]);

export interface SimdAdler {
  /** The module's memory: data at SIMD_DATA_OFFSET, results in its first 48 bytes. */
  memory: Uint8Array;
  /** The results as twelve 32-bit lanes: sums, runs, weighted. */
  lanes: Uint32Array;
  block(pointer: number, vectors: number): void;
}

/** The part of the WebAssembly API used here (the project's TypeScript libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

function instantiate(): SimdAdler | null {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!wasm?.validate(MODULE)) return null;
    const { memory, block } = new wasm.Instance(new wasm.Module(MODULE)).exports as {
      memory: { buffer: ArrayBuffer };
      block: (pointer: number, vectors: number) => void;
    };
    return { memory: new Uint8Array(memory.buffer), lanes: new Uint32Array(memory.buffer, 0, 12), block };
  } catch {
    return null;
  }
}

/** The module, made on first use; null where it cannot run here. */
let made: SimdAdler | null | undefined;
export function simdAdler(): SimdAdler | null {
  if (made === undefined) made = process.env.PILOT_ADLER32_NO_SIMD ? null : instantiate();
  return made;
}

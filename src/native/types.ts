/**
 * What the native addon (native/) gives the pilot: the few things Node cannot do itself.
 * Every caller must work without it: `loadNativeAddon()` returns null when the prebuild is
 * missing or fails to load, and the pure-TS fallbacks take over.
 */
export interface NativeAddon {
  /** x86 CPUID(leaf, subleaf) → [eax, ebx, ecx, edx]; undefined on other architectures. */
  cpuid?(leaf: number, subleaf: number): [number, number, number, number];
  /** getauxval(AT_HWCAP) and AT_HWCAP2 (aarch64 feature bits), as bigint. */
  hwcap?(): { hwcap: bigint; hwcap2: bigint };
  /** prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are re-parented to us. */
  setChildSubreaper(): boolean;
  /** getrusage(RUSAGE_CHILDREN): CPU of waited-for descendants, in microseconds; max RSS in KiB. */
  childrenRusage(): { userMicros: number; systemMicros: number; maxRssKiB: number };
}

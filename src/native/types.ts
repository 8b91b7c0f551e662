/**
 * What the native addon (native/) gives the pilot: the few things Node cannot do itself.
 * Every caller must work without it: `loadNativeAddon()` returns null when the prebuild is
 * missing or fails to load, and the pure-TS fallbacks take over.
 */
export interface NativeAddon {
  /** x86 CPUID(leaf, subleaf) → [eax, ebx, ecx, edx]; undefined on other architectures. */
  cpuid?(leaf: number, subleaf: number): [number, number, number, number];
  /**
   * getauxval(AT_HWCAP) and AT_HWCAP2 (aarch64 feature bits), as bigint. Absent on x86, where
   * glibc substitutes its own platform bits for the kernel's value; use cpuid() there.
   */
  hwcap?(): { hwcap: bigint; hwcap2: bigint };
  /** prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are re-parented to us. */
  setChildSubreaper(): boolean;
  /** getrusage(RUSAGE_CHILDREN): CPU of waited-for descendants, in microseconds; max RSS in KiB. */
  childrenRusage(): { userMicros: number; systemMicros: number; maxRssKiB: number };
  /**
   * waitpid(pid, WNOHANG) on exactly these pids (never waitpid(-1)); returns those reaped.
   * As a child subreaper the pilot inherits orphaned payload processes, and libuv never
   * waits for them, so their zombies pile up unless reaped here. Pass ONLY pids known to be
   * such orphans (see src/native/orphans.ts): reaping a child Node spawned steals its exit
   * status from libuv and its 'exit' event never fires. Optional: older prebuilds lack it.
   */
  reap?(pids: number[]): ReapedChild[];
  /**
   * prctl(PR_SET_DUMPABLE, flag): false makes /proc/<pilot>/{environ,mem,maps,fd,...} root-owned
   * and refuses ptrace to a same-uid payload (the pilot still reads its own /proc/self). Also turns
   * off the pilot's core dumps. execve() resets it. Returns the flag now in force.
   * Optional: older prebuilds lack it.
   */
  setDumpable?(flag: boolean): boolean;
}

/** One process collected by `NativeAddon.reap`: exit code if it exited, signal if killed. */
export interface ReapedChild {
  pid: number;
  exitCode: number | null;
  signal: number | null;
}

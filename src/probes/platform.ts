/** DIRAC's `dirac-platform` form: `Linux_x86_64_glibc-2.36`; without a glibc, `Linux_x86_64`. */
export function diracPlatform(arch: string, glibc: string | null): string {
  return glibc ? `Linux_${arch}_glibc-${glibc}` : `Linux_${arch}`;
}

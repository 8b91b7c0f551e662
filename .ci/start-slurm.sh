#!/usr/bin/env bash
# Start a single-node Slurm (munged, slurmctld, slurmd) for tests/slurm/. Idempotent: a second run
# with the same configuration leaves running daemons alone. Needs root and Debian's slurm-wlm + munge.
# Exits non-zero with one line naming the step that failed; daemon logs are in /var/log/slurm/.
set -euo pipefail

readonly WAIT_SECONDS="${SLURM_START_WAIT_SECONDS:-60}"
readonly TEMPLATE="$(cd "$(dirname "$0")" && pwd)/slurm/slurm.conf.in"
readonly CONF_DIR=/etc/slurm
readonly CONF="$CONF_DIR/slurm.conf"
# What this script started (not what was already running), for .ci/stop-slurm.sh.
readonly STARTED="${SLURM_STARTED_FILE:-/run/pilot-ci-slurm.started}"

fail() { echo "start-slurm: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "must run as root (daemons and /etc/slurm)"
for bin in munged slurmctld slurmd sinfo scontrol; do
  command -v "$bin" >/dev/null || fail "$bin not found: install slurm-wlm and munge (.ci/apt-packages.txt)"
done

host="$(hostname -s)"
# `slurmd -C` prints this machine's NodeName/CPUs/Sockets/Cores/Threads/RealMemory line.
node_line="$(slurmd -C | head -n 1)"
case "$node_line" in NodeName=*) ;; *) fail "unexpected 'slurmd -C' output: $node_line" ;; esac

mkdir -p "$CONF_DIR" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/lib/munge /var/log/munge
rendered="$(sed -e "s|@HOST@|$host|g" -e "s|@NODE_LINE@|$node_line|" "$TEMPLATE")"
config_changed=0
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$rendered" ]; then
  printf '%s\n' "$rendered" > "$CONF"
  config_changed=1
fi
# cgroup.conf is read even with proctrack/linuxproc on some builds; an empty one is harmless.
[ -f "$CONF_DIR/cgroup.conf" ] || echo "CgroupPlugin=autodetect" > "$CONF_DIR/cgroup.conf"

# --- munge -----------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge && chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  su -s /bin/sh munge -c "munged --force" || fail "munged did not start (see /var/log/munge/munged.log)"
  echo munged >> "$STARTED"
  for _ in $(seq 1 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
  munge -n | unmunge >/dev/null 2>&1 || fail "munge credentials do not round-trip after starting munged"
fi

# --- slurm daemons -----------------------------------------------------------
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if [ "$config_changed" -eq 1 ]; then
  # New configuration: restart whatever runs so both daemons agree on it.
  for pidfile in /run/slurmd.pid /run/slurmctld.pid; do
    if running "$pidfile"; then
      pid="$(cat "$pidfile")"
      kill "$pid"
      # Wait (bounded) for it to release its port before the new daemon binds it.
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && fail "daemon $pid ($pidfile) did not stop within 10 s"
    fi
  done
fi
if ! running /run/slurmctld.pid; then
  slurmctld || fail "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
  echo slurmctld >> "$STARTED"
fi
if ! running /run/slurmd.pid; then
  slurmd || fail "slurmd did not start (see /var/log/slurm/slurmd.log)"
  echo slurmd >> "$STARTED"
fi

# --- wait for the node -------------------------------------------------------
deadline=$((SECONDS + WAIT_SECONDS))
state=""
while [ "$SECONDS" -lt "$deadline" ]; do
  state="$(sinfo -h -N -n "$host" -o '%T' 2>/dev/null || true)"
  case "$state" in
    idle|mixed|allocated) echo "start-slurm: node $host is $state"; exit 0 ;;
    down*|drain*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 1
done
fail "node $host not idle after ${WAIT_SECONDS}s (last state: '${state:-none}'); see /var/log/slurm/"

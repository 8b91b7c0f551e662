#!/usr/bin/env bash
# Stops the daemons .ci/start-slurm.sh started (and only those: a machine's own Slurm or munge,
# already running before, is left alone). Bounded: TERM, up to 10 s, then KILL. Idempotent.
set -uo pipefail

readonly STARTED="${SLURM_STARTED_FILE:-/run/pilot-ci-slurm.started}"
# Where the daemons write their pid files (tests point it elsewhere).
readonly RUN_DIR="${SLURM_RUN_DIR:-/run}"
[ -f "$STARTED" ] || exit 0

pidfile_of() {
  case "$1" in
    slurmd) echo "$RUN_DIR/slurmd.pid" ;;
    slurmctld) echo "$RUN_DIR/slurmctld.pid" ;;
    munged) echo "$RUN_DIR/munge/munged.pid" ;;
  esac
}

# Compute node first, controller next, authentication last (the others use it to shut down).
for daemon in slurmd slurmctld munged; do
  grep -qx "$daemon" "$STARTED" || continue
  pidfile="$(pidfile_of "$daemon")"
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  kill -0 "$pid" 2>/dev/null || continue
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "stop-slurm: $daemon ($pid) still running after 10 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  echo "stop-slurm: stopped $daemon ($pid)"
done
rm -f "$STARTED"

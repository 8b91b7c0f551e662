#!/usr/bin/env bash
# start-data.sh: starts DataManagement/FileCatalog (9197) and RequestManagement/ReqManager (9140) beside
# a running dirac-kit (after its start.sh); their PIDs go where the kit's stop.sh finds them.
set -euo pipefail
STATE=$(cd "${DIRAC_KIT_STATE:?set DIRAC_KIT_STATE to the kit state}" && pwd)
RUN=$STATE/run
export DIRAC_ROOT_PATH=$STATE/root X509_CERT_DIR=$STATE/pki/certificates PATH=$STATE/venv/bin:$PATH
unset X509_USER_PROXY X509_USER_CERT X509_USER_KEY DIRACSYSCONFIG
for s in DataManagement/FileCatalog:9197 RequestManagement/ReqManager:9140; do
  svc=${s%%:*}; port=${s##*:}; name=${svc/\//_}
  if [ -f "$RUN/pids/$name.pid" ] && kill -0 "$(cat "$RUN/pids/$name.pid")" 2>/dev/null; then echo "$name already running"; continue; fi
  ( cd "$STATE/root" && exec setsid dirac-service "$svc" >>"$RUN/logs/$name.log" 2>&1 < /dev/null ) &
  echo $! > "$RUN/pids/$name.pid"
  for _ in $(seq 1 120); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 1; done
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$svc did not come up: $RUN/logs/$name.log" >&2; exit 1; }
  echo "$svc listening on $port (pid $(cat "$RUN/pids/$name.pid"))"
done

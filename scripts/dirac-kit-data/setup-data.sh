#!/usr/bin/env bash
# setup-data.sh: adds DataManagement/FileCatalog and RequestManagement/ReqManager (DIRAC's own
# services, from the kit's DIRAC install) to a dirac-kit state made by ../shared/tools/dirac-kit/setup.sh.
# Not used by CI. Run with the kit stopped; then the kit's start.sh, then start-data.sh.
#   DIRAC_KIT_STATE=/path/to/state setup-data.sh
# Knobs: KIT_SE_DIR (default $STATE/se: where the file:// SEs live), KIT_SANDBOX_LIMIT (JobWrapper
# OutputSandboxLimit, default 262144), KIT_DOWN_PORT (the port of an SE nothing listens on, default 9).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KIT_DIR=${KIT_DIR:-$(cd "$HERE/../../../shared/tools/dirac-kit" 2>/dev/null && pwd || echo /work/shared/tools/dirac-kit)}
STATE=$(cd "${DIRAC_KIT_STATE:?set DIRAC_KIT_STATE to the kit state}" && pwd)
export KIT_SE_DIR=${KIT_SE_DIR:-$STATE/se}
mkdir -p "$KIT_SE_DIR/KIT-SE" "$KIT_SE_DIR/KIT-FAILOVER-SE"
log() { echo "[setup-data $(date -u +%H:%M:%S)] $*"; }
"$KIT_DIR/lib/db.sh" start "$STATE"
MYSQL=(mariadb --defaults-file=/dev/null -S "$STATE/mysql/mysql.sock" -u root)
for db in FileCatalogDB ReqDB; do
  "${MYSQL[@]}" -e "CREATE DATABASE IF NOT EXISTS $db;
    GRANT ALL ON $db.* TO 'Dirac'@'127.0.0.1'; GRANT ALL ON $db.* TO 'Dirac'@'localhost'; FLUSH PRIVILEGES;"
done
DMSDB=$("$STATE/venv/bin/python" -c 'import DIRAC.DataManagementSystem.DB as m, os; print(os.path.dirname(m.__file__))')
if [ "$("${MYSQL[@]}" -N -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='FileCatalogDB'")" = 0 ]; then
  log "schema FileCatalogDB (DIRAC's FileCatalogDB.sql)"; "${MYSQL[@]}" < "$DMSDB/FileCatalogDB.sql"
fi   # ReqDB: ReqManager creates its tables itself
log "CS: FileCatalog, ReqManager, SEs KIT-SE / KIT-FAILOVER-SE (file://) and KIT-DOWN-SE (refused)"
"$STATE/venv/bin/python" "$HERE/data_cfg.py" "$STATE/root/etc/KitCS.cfg" "$STATE/root/etc/dirac.cfg"
"$KIT_DIR/lib/db.sh" stop "$STATE"
log "done"

#!/usr/bin/env bash
# demo.sh up|stop|clean - the demo instance under .demo/: MariaDB, WordPress with
# KB Jobs active, served on 127.0.0.1:${KBJOBS_DEMO_PORT:-8089}.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KBJOBS_ROOT"
export KBJOBS_HOME=$KBJOBS_ROOT/.demo

case ${1:-} in
  up)
    tools/install-deps.sh
    make --no-print-directory ext
    tools/wp-cli.sh
    if [ ! -f "$KBJOBS_HOME/env.sh" ] && ! php -r 'exit(@fsockopen("127.0.0.1", (int)$argv[1]) ? 1 : 0);' "${KBJOBS_DEMO_PORT:-8089}"; then
      kbj_die "port ${KBJOBS_DEMO_PORT:-8089} is taken: set KBJOBS_DEMO_PORT to a free port"
    fi
    tools/up.sh demo
    . "$KBJOBS_HOME/env.sh"
    cat <<MSG

kbjobs demo is up.
  Dashboard: $KBJOBS_WP_URL/wp-admin/admin.php?page=kbjobs
  Login:     $KBJOBS_ADMIN_USER / $KBJOBS_ADMIN_PASSWORD
  WP-CLI:    tools/wp kb version
  Data:      $KBJOBS_HOME (database, WordPress, kbjobs data directory, logs)
  Stop:      make demo-stop     Remove everything: make clean-demo
MSG
    ;;
  stop) tools/down.sh ;;
  clean)
    tools/down.sh
    rm -rf "$KBJOBS_HOME"
    echo "removed $KBJOBS_HOME"
    ;;
  *) echo "usage: $0 up|stop|clean" >&2; exit 2 ;;
esac

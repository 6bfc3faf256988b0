#!/usr/bin/env bash
# up.sh demo|test - brings up one kbjobs instance in $KBJOBS_HOME: MariaDB, WordPress
# with the plugin active, and php -S serving it with the extension loaded.
# The demo uses a fixed port (KBJOBS_DEMO_PORT, default 8089); tests pick free ports.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-}
case $mode in
  demo) kbj_env_init demo "${KBJOBS_DEMO_PORT:-8089}" ;;
  test) kbj_env_init test ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
"$KBJOBS_ROOT/tools/mariadb.sh" start
"$KBJOBS_ROOT/tools/wordpress.sh" install
"$KBJOBS_ROOT/tools/serve.sh" start
# The fixture site the import tests and the demo fetch from, on a port kept in env.sh.
kbj_env_load
if [ -n "${KBJOBS_FIXTURE_URL:-}" ]; then
  "$KBJOBS_ROOT/tools/fixtures.sh" start --port "${KBJOBS_FIXTURE_URL##*:}" > /dev/null
else
  url=$("$KBJOBS_ROOT/tools/fixtures.sh" start)
  echo "export KBJOBS_FIXTURE_URL=$url" >> "$KBJOBS_HOME/env.sh"
fi
# Its TLS endpoints (nginx, started with it): their URLs, CA and access log, once.
grep -q '^export KBJOBS_FIXTURE_TLS_URL=' "$KBJOBS_HOME/env.sh" \
  || "$KBJOBS_ROOT/tools/fixtures.sh" env >> "$KBJOBS_HOME/env.sh"

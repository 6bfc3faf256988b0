#!/usr/bin/env bash
# down.sh - stops every server of the instance in $KBJOBS_HOME (by PID); keeps its data.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ -f "${KBJOBS_HOME:-}/env.sh" ] || { kbj_log "nothing to stop in ${KBJOBS_HOME:-}"; exit 0; }
kbj_env_load
for pidfile in "$KBJOBS_HOME"/serve-*.pid; do
  [ -e "$pidfile" ] || continue
  name=$(basename "$pidfile" .pid); name=${name#serve-}
  "$KBJOBS_ROOT/tools/serve.sh" stop --name "$name"
done
for pidfile in "$KBJOBS_HOME"/fixtures-*.pid; do
  [ -e "$pidfile" ] || continue
  name=$(basename "$pidfile" .pid); name=${name#fixtures-}
  "$KBJOBS_ROOT/tools/fixtures.sh" stop --name "$name"
done
for pidfile in "$KBJOBS_HOME"/proxy-*.pid; do
  [ -e "$pidfile" ] || continue
  name=$(basename "$pidfile" .pid); name=${name#proxy-}
  "$KBJOBS_ROOT/tools/fixtures.sh" proxy stop --name "$name"
done
"$KBJOBS_ROOT/tools/mariadb.sh" stop

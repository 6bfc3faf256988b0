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
    # The sample import, once per demo instance, run by a background `wp kb work`.
    if [ ! -f "$KBJOBS_HOME/demo-import.id" ]; then
      sed "s|{SITE}|$KBJOBS_FIXTURE_URL|" tools/demo/sample-urls.txt > "$KBJOBS_HOME/sample-urls.txt"
      tools/wp kb import "$KBJOBS_HOME/sample-urls.txt" --porcelain > "$KBJOBS_HOME/demo-import.id" \
        || { rm -f "$KBJOBS_HOME/demo-import.id"; kbj_die "the sample import was refused"; }
    fi
    import_id=$(tail -n 1 "$KBJOBS_HOME/demo-import.id")
    setsid nohup tools/wp kb work --until-empty > "$KBJOBS_HOME/demo-work.log" 2>&1 < /dev/null &
    # The articles' archive on the front end: /kb/ with pretty permalinks (instances made
    # since they are set up), ?post_type=kb_article on an older instance's plain ones.
    front=$KBJOBS_WP_URL/?post_type=kb_article
    [ -z "$(tools/wp option get permalink_structure 2>/dev/null)" ] || front=$KBJOBS_WP_URL/kb/
    cat <<MSG

kbjobs demo is up.
  Dashboard: $KBJOBS_WP_URL/wp-admin/admin.php?page=kbjobs
  Login:     $KBJOBS_ADMIN_USER / $KBJOBS_ADMIN_PASSWORD
  WP-CLI:    tools/wp kb version

  Sample import $import_id: 200 pages from the fixture site $KBJOBS_FIXTURE_URL,
  running now in the background (log: $KBJOBS_HOME/demo-work.log).
    Watch it:  tools/wp kb import-job get $import_id
    Failures:  tools/wp kb import-job failed $import_id --format=table
    Articles:  $KBJOBS_WP_URL/wp-admin/edit.php?post_type=kb_article
    Site:      $front (as visitors see them)
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

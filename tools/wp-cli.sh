#!/usr/bin/env bash
# wp-cli.sh - installs WP-CLI (versions pinned in tools/wp-cli/composer.json) into
# tools/wp-cli/vendor. Idempotent. The package registry here serves wp-cli/wp-cli 2.4.1,
# which declares PHP ^7 but runs on 8.2: only upper bounds of the PHP requirement are
# ignored (--ignore-platform-reqs would pull a symfony/finder that needs PHP 8.4).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
dir=$KBJOBS_ROOT/tools/wp-cli
if [ -x "$dir/vendor/bin/wp" ] && [ "$dir/vendor/composer/installed.json" -nt "$dir/composer.json" ]; then
  kbj_log "WP-CLI present"
  exit 0
fi
composer install --working-dir="$dir" --no-interaction --no-progress --quiet --ignore-platform-req=php+
kbj_log "WP-CLI installed: $("$dir/vendor/bin/wp" --version --allow-root 2>/dev/null)"

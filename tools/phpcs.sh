#!/usr/bin/env bash
# phpcs.sh - installs PHP_CodeSniffer with the WordPress Coding Standards and
# PHPCompatibilityWP (versions pinned in tools/phpcs/composer.json) into
# tools/phpcs/vendor, for the lint suite (tools/test.sh lint, make lint). Idempotent.
# No Composer installer plugin: the plugin's ruleset, wp-plugin/phpcs.xml.dist, names the
# standards' folders itself (installed_paths).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
dir=$KBJOBS_ROOT/tools/phpcs
if [ -x "$dir/vendor/bin/phpcs" ] && [ "$dir/vendor/composer/installed.json" -nt "$dir/composer.json" ]; then
  kbj_log "PHP_CodeSniffer present"
  exit 0
fi
composer install --working-dir="$dir" --no-interaction --no-progress --quiet
kbj_log "PHP_CodeSniffer installed: $("$dir/vendor/bin/phpcs" --version)"

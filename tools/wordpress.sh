#!/usr/bin/env bash
# wordpress.sh install - a self-contained WordPress for one kbjobs instance.
#
# Copies Debian's wordpress package into $KBJOBS_WP_DIR, writes our own wp-config.php,
# links the plugin in, adds the offline mu-plugin and the front end's theme, installs the
# site with wp_install(), activates kb-jobs and makes the theme the active one.
# Idempotent. Needs the instance's MariaDB running.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kbj_env_load

[ "${1:-}" = install ] || { echo "usage: $0 install" >&2; exit 2; }
[ -d /usr/share/wordpress ] || kbj_die "Debian's wordpress package is missing (tools/install-deps.sh)"
# The front end's theme. Debian ships each bundled theme as its own package
# (wordpress-theme-*), installed as a real directory under /usr/share/wordpress/wp-content/
# themes (and linked from /var/lib/wordpress/wp-content/themes); without a theme the
# site has no front end at all (blank pages).
KBJOBS_WP_THEME=twentytwentythree
theme_src=/usr/share/wordpress/wp-content/themes/$KBJOBS_WP_THEME
[ -f "$theme_src/style.css" ] || kbj_die "Debian's wordpress-theme-$KBJOBS_WP_THEME package is missing (tools/install-deps.sh)"

if [ ! -f "$KBJOBS_WP_DIR/wp-settings.php" ]; then
  mkdir -p "$(dirname "$KBJOBS_WP_DIR")"
  # Debian's tree links to files outside it: copy what the links point to.
  cp -rL /usr/share/wordpress "$KBJOBS_WP_DIR.tmp"
  rm -f "$KBJOBS_WP_DIR.tmp/wp-config.php"
  mv "$KBJOBS_WP_DIR.tmp" "$KBJOBS_WP_DIR"
fi

cfg=$KBJOBS_WP_DIR/wp-config.php
if [ ! -f "$cfg" ] || ! grep -q "kbjobs dev or test site" "$cfg" || ! grep -q KBJOBS_FETCH_ALLOW "$cfg"; then
  disable_cron=false
  [ "$KBJOBS_MODE" = test ] && disable_cron=true
  sed -e "s|@DB_NAME@|$KBJOBS_DB_NAME|" -e "s|@DB_USER@|$KBJOBS_DB_USER|" \
      -e "s|@DB_PASSWORD@|$KBJOBS_DB_PASSWORD|" -e "s|@DB_SOCKET@|$KBJOBS_DB_SOCKET|" \
      -e "s|@DB_PREFIX@|$KBJOBS_DB_PREFIX|" -e "s|@WP_URL@|$KBJOBS_WP_URL|g" \
      -e "s|@HOME@|$KBJOBS_HOME|" -e "s|@DATA_DIR@|$KBJOBS_DATA_DIR|" \
      -e "s|@DISABLE_CRON@|$disable_cron|" \
      "$KBJOBS_ROOT/tools/wordpress/wp-config.php.in" > "$cfg.tmp"
  for i in 1 2 3 4 5 6 7 8; do
    sed -i "s|@SALT$i@|$(kbj_random 48)|" "$cfg.tmp"
  done
  mv "$cfg.tmp" "$cfg"
fi

mkdir -p "$KBJOBS_WP_DIR/wp-content/plugins" "$KBJOBS_WP_DIR/wp-content/mu-plugins" "$KBJOBS_DATA_DIR"
ln -sfn "$KBJOBS_ROOT/wp-plugin" "$KBJOBS_WP_DIR/wp-content/plugins/kb-jobs"
cp "$KBJOBS_ROOT/tools/wordpress/kbjobs-offline.php" "$KBJOBS_WP_DIR/wp-content/mu-plugins/"
# The copy of core above brings the theme along; an instance copied before the theme's
# package was installed gets it here.
theme_dir=$KBJOBS_WP_DIR/wp-content/themes/$KBJOBS_WP_THEME
if [ ! -f "$theme_dir/style.css" ]; then
  mkdir -p "$(dirname "$theme_dir")"
  rm -rf "$theme_dir.tmp"
  cp -rL "$theme_src" "$theme_dir.tmp"
  rm -rf "$theme_dir"
  mv "$theme_dir.tmp" "$theme_dir"
  kbj_log "theme $KBJOBS_WP_THEME copied into the instance"
fi

ext=$(kbj_extension) || kbj_die "the extension is not built (make)"
KBJOBS_WP_THEME=$KBJOBS_WP_THEME php -d extension="$ext" -d auto_prepend_file="$KBJOBS_ROOT/tools/php/prepend.php" \
  "$KBJOBS_ROOT/tools/php/wp-install.php"
kbj_log "WordPress ready in $KBJOBS_WP_DIR"

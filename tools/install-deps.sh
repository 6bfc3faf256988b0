#!/usr/bin/env bash
# Installs the Debian packages kbjobs needs to build, run and test. Idempotent:
# packages already present are skipped, and apt is not touched when nothing is missing.
#
#   build:   php-dev pkg-config libmariadb-dev libcurl4-openssl-dev libjansson-dev libxml2-dev libssl-dev
#   run:     mariadb-server mariadb-client wordpress wordpress-theme-twentytwentythree
#            php-mysql php-curl php-xml php-mbstring
#   test:    libcmocka-dev php-parser phpunit chromium valgrind curl nginx openssl
#            (nginx and openssl: the fixture site's TLS endpoints, tools/fixtures.sh; the
#            system's nginx service is never used, and on a machine where installing it
#            starts it, it is left alone: the fixtures' nginx has its own config and ports)
# Node.js, npm and Composer come with the machine; their absence is reported.
set -euo pipefail

PACKAGES=(
  php-dev pkg-config libmariadb-dev libcurl4-openssl-dev libjansson-dev libxml2-dev libssl-dev
  mariadb-server mariadb-client wordpress wordpress-theme-twentytwentythree
  php-mysql php-curl php-xml php-mbstring
  libcmocka-dev php-parser phpunit chromium valgrind curl nginx openssl
)

for tool in node npm composer; do
  command -v "$tool" > /dev/null || echo "install-deps: warning: $tool is not installed (needed by the tests)" >&2
done

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# The package lists are refreshed once per machine (or when they are older than a day).
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"

dnl config.m4 for kbjobs: builds ext/*.c (Zend glue) and engine/<layer>/*.c (the plain C
dnl engine, in the folders util, core, import and jobtypes) into kbjobs.so.

PHP_ARG_ENABLE([kbjobs],
  [whether to enable kbjobs],
  [AS_HELP_STRING([--enable-kbjobs], [Enable the kbjobs job engine])],
  [yes])

if test "$PHP_KBJOBS" != "no"; then
  dnl libmariadb, or the MySQL client through mysql_config when pkg-config has none.
  PKG_CHECK_MODULES([MARIADB], [libmariadb >= 3.1], [], [
    AC_PATH_PROG([MYSQL_CONFIG], [mysql_config], [no])
    if test "$MYSQL_CONFIG" = "no"; then
      AC_MSG_ERROR([kbjobs needs libmariadb (pkg-config libmariadb) or mysql_config])
    fi
    MARIADB_CFLAGS=`$MYSQL_CONFIG --include`
    MARIADB_LIBS=`$MYSQL_CONFIG --libs`
  ])
  dnl libcurl 7.85: the URL API, curl_multi_poll and CURLOPT_PROTOCOLS_STR (the fetcher).
  PKG_CHECK_MODULES([CURL], [libcurl >= 7.85.0])
  dnl jansson 2.13 brought jansson_version_str().
  PKG_CHECK_MODULES([JANSSON], [jansson >= 2.13])
  PKG_CHECK_MODULES([XML2], [libxml-2.0 >= 2.9])
  dnl libcrypto 1.1 (EVP_MD_CTX_new): SHA-256 through EVP; PHP and libcurl load it too.
  PKG_CHECK_MODULES([CRYPTO], [libcrypto >= 1.1.0])

  for flags in "$MARIADB_CFLAGS" "$CURL_CFLAGS" "$JANSSON_CFLAGS" "$XML2_CFLAGS" "$CRYPTO_CFLAGS"; do
    PHP_EVAL_INCLINE([$flags])
  done
  for libs in "$MARIADB_LIBS" "$CURL_LIBS" "$JANSSON_LIBS" "$XML2_LIBS" "$CRYPTO_LIBS"; do
    PHP_EVAL_LIBLINE([$libs], [KBJOBS_SHARED_LIBADD])
  done
  dnl the runner's heartbeat thread, and the backoff curves
  PHP_ADD_LIBRARY([pthread], [1], [KBJOBS_SHARED_LIBADD])
  PHP_ADD_LIBRARY([m], [1], [KBJOBS_SHARED_LIBADD])
  PHP_SUBST([KBJOBS_SHARED_LIBADD])

  dnl Zend macros leave parameters unused, so ext/ drops that one warning, as php-src
  dnl does; the engine keeps the full set.
  kbjobs_srcdir=PHP_EXT_SRCDIR(kbjobs)
  KBJOBS_COMMON_CFLAGS="-std=gnu11 -Wall -Wextra -I$kbjobs_srcdir/engine"
  for layer in util core import jobtypes; do
    KBJOBS_COMMON_CFLAGS="$KBJOBS_COMMON_CFLAGS -I$kbjobs_srcdir/engine/$layer"
  done
  KBJOBS_EXT_SOURCES=`cd "$kbjobs_srcdir" && echo ext/*.c`
  KBJOBS_ENGINE_SOURCES=`cd "$kbjobs_srcdir" && echo engine/util/*.c engine/core/*.c engine/import/*.c engine/jobtypes/*.c`

  PHP_NEW_EXTENSION([kbjobs], [$KBJOBS_EXT_SOURCES], [$ext_shared], [],
    [$KBJOBS_COMMON_CFLAGS -Wno-unused-parameter -DZEND_ENABLE_STATIC_TSRMLS_CACHE=1])
  PHP_ADD_SOURCES_X(PHP_EXT_DIR(kbjobs), [$KBJOBS_ENGINE_SOURCES],
    [$KBJOBS_COMMON_CFLAGS],
    [shared_objects_kbjobs], [yes])
  PHP_ADD_BUILD_DIR([$ext_builddir/ext])
  for layer in util core import jobtypes; do
    PHP_ADD_BUILD_DIR([$ext_builddir/engine/$layer])
  done
fi

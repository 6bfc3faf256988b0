/*
 * version.c - the engine's version and the run-time versions of the libraries it links.
 *
 * This is the one module besides the owners of each library (store, url/fetch,
 * normalise) that includes their headers, and it only calls their version queries:
 * `php --ri kbjobs` and `wp kb version` report what was actually loaded, not what the
 * build saw.
 */
#include "kbj.h"

#include <stdarg.h>
#include <stdio.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <mysql.h>

const char *kbj_version(void)
{
    return KBJ_VERSION;
}

int kbj_fail(kbj_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *kbj_strerror(int code)
{
    switch (code) {
    case KBJ_OK: return "no error";
    case KBJ_EINVAL: return "invalid argument";
    case KBJ_ENOMEM: return "out of memory";
    case KBJ_EDB: return "database error";
    case KBJ_ECONNECT: return "cannot connect to the database";
    case KBJ_EUNSUPPORTED: return "unsupported server or schema";
    case KBJ_ENOTFOUND: return "not found";
    case KBJ_ECONFLICT: return "illegal state transition";
    case KBJ_ELEASE: return "lease lost";
    case KBJ_EIO: return "filesystem error";
    case KBJ_EJOBFAILED: return "job failed";
    case KBJ_ESTOPPED: return "job stopped early";
    case KBJ_ECORRUPT: return "corrupt file";
    case KBJ_EDEFERRED: return "job deferred";
    default: return "unknown error";
    }
}

size_t kbj_libraries(kbj_library *out, size_t cap)
{
    const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
    const kbj_library all[] = {
        { "libmariadb", mysql_get_client_info() },
        { "libcurl", curl && curl->version ? curl->version : "unknown" },
        { "jansson", jansson_version_str() },
        /* libxml2's run-time version lives in its per-thread global state, which PHP
         * owns; the version built against is read instead (same soname, same ABI). */
        { "libxml2", LIBXML_DOTTED_VERSION },
    };
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n && i < cap; i++)
        out[i] = all[i];
    return n;
}

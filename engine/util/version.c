/*
 * version.c - the engine's version and the run-time versions of the libraries it links.
 *
 * This is the one module besides the owners of each library (store, url/fetch,
 * normalise) that includes their headers, and it only calls their version queries:
 * `php --ri kbjobs` and `wp kb version` report what was actually loaded, not what the
 * build saw.
 */
#include "kbj.h"

#include <stdio.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <mysql.h>
#include <openssl/crypto.h>

const char *kbj_version(void)
{
    return KBJ_VERSION;
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
        { "libcrypto", OpenSSL_version(OPENSSL_VERSION_STRING) },
    };
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n && i < cap; i++)
        out[i] = all[i];
    return n;
}

/*
 * url.c - URL normalisation (libcurl's URL API, IDN through libcurl's libidn2) and
 * redaction of credentials for logs.
 */
#include "url.h"

#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char to_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Length of a "scheme:" prefix's scheme ([A-Za-z][A-Za-z0-9+.-]*), or 0 if none. */
static size_t scheme_len(const char *s, size_t len)
{
    size_t i = 0;
    if (len == 0 || !is_alpha((unsigned char)s[0]))
        return 0;
    for (i = 1; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ':')
            return i;
        if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
            return 0;
    }
    return 0;
}

/* ---- the locale libidn2 needs -------------------------------------------------- */

/* libcurl 7.88 converts hosts with idn2_lookup_ul(), which reads the host in the
 * locale's charset: under the "C" locale every non-ASCII host fails. A C.UTF-8 locale
 * object, switched to with uselocale() for the calling thread only, fixes that without
 * touching the process locale. Created once and kept for the life of the process. */
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;
static locale_t utf8_locale = (locale_t)0;

static void utf8_locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (utf8_locale == (locale_t)0)
        utf8_locale = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
}

static int has_high_byte(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 1;
    return 0;
}

/* The host of `u` in *host (curl_free it): punycode when possible, see url.h. *idn is
 * set to 1 when the host is not ASCII (libcurl reports a failed IDN conversion as
 * CURLUE_OUT_OF_MEMORY, so the caller needs to know). */
static CURLUcode get_host(CURLU *u, char **host, int *idn)
{
    CURLUcode rc = curl_url_get(u, CURLUPART_HOST, host, 0);
    if (rc != CURLUE_OK || !has_high_byte(*host))
        return rc;
    *idn = 1;
    pthread_once(&utf8_once, utf8_locale_init);
    if (utf8_locale == (locale_t)0)
        return CURLUE_OK; /* no UTF-8 locale: keep the UTF-8 host (documented) */
    curl_free(*host);
    *host = NULL;
    locale_t old = uselocale(utf8_locale);
    rc = curl_url_get(u, CURLUPART_HOST, host, CURLU_PUNYCODE);
    uselocale(old);
    return rc;
}

/* ---- normalise ------------------------------------------------------------------- */

static int refuse(char *out, size_t cap, kbj_err *err, int code, const char *reason)
{
    if (out && cap > 0)
        out[0] = '\0';
    return kbj_fail(err, code, "%s", reason);
}

/* Copies the URL, percent-encoding bytes above 0x7F; a KBJ_EINVAL reason or NULL. */
static const char *emit(const char *url, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
        size_t need = *p >= 0x80 ? 3 : 1;
        if (o + need > KBJ_URL_MAX)
            return "longer than 2048 bytes";
        if (o + need >= cap)
            return "too long";
        if (need == 3) {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
    return NULL;
}

int kbj_url_normalise(const char *in, size_t len, char *out, size_t cap, kbj_err *err)
{
    char buf[KBJ_URL_MAX + 1];
    char *host = NULL, *url = NULL;
    const char *reason = NULL;
    CURLU *u;
    CURLUcode rc;
    size_t slen, i;
    int idn = 0;

    if (!out || cap == 0 || (!in && len > 0))
        return refuse(out, cap, err, KBJ_EINVAL, "URL or output buffer is missing");
    while (len > 0 && is_space((unsigned char)in[0])) {
        in++;
        len--;
    }
    while (len > 0 && is_space((unsigned char)in[len - 1]))
        len--;
    if (len == 0)
        return refuse(out, cap, err, KBJ_EINVAL, "empty");
    if (len > KBJ_URL_MAX)
        return refuse(out, cap, err, KBJ_EINVAL, "longer than 2048 bytes");

    slen = scheme_len(in, len);
    if (slen == 0)
        return refuse(out, cap, err, KBJ_EINVAL, "not a URL");
    if (!((slen == 4 && strncasecmp(in, "http", 4) == 0) ||
          (slen == 5 && strncasecmp(in, "https", 5) == 0)))
        return refuse(out, cap, err, KBJ_EINVAL, "scheme must be http or https");
    if (len < slen + 3 || in[slen + 1] != '/' || in[slen + 2] != '/')
        return refuse(out, cap, err, KBJ_EINVAL, "not a URL");
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= 0x20 || c == 0x7F)
            return refuse(out, cap, err, KBJ_EINVAL, "contains control characters or spaces");
    }
    /* "http:///x" would be read by libcurl as host "x": the authority must not be empty. */
    if (len == slen + 3 || strchr("/?#", in[slen + 3]))
        return refuse(out, cap, err, KBJ_EINVAL, "no host");

    memcpy(buf, in, len);
    buf[len] = '\0';
    u = curl_url();
    if (!u)
        return refuse(out, cap, err, KBJ_ENOMEM, "out of memory parsing a URL");
    rc = curl_url_set(u, CURLUPART_URL, buf, 0);
    if (rc == CURLUE_OK)
        rc = curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    if (rc == CURLUE_OK) {
        rc = get_host(u, &host, &idn);
        if (idn && (rc == CURLUE_OUT_OF_MEMORY || rc == CURLUE_LACKS_IDN))
            reason = "invalid international host name"; /* libcurl's idn2 failure code */
    }
    if (rc == CURLUE_OK) {
        for (char *p = host; *p; p++)
            *p = (char)to_lower((unsigned char)*p);
        if (!*host)
            rc = CURLUE_NO_HOST;
        else
            rc = curl_url_set(u, CURLUPART_HOST, host, 0);
    }
    if (rc == CURLUE_OK)
        rc = curl_url_get(u, CURLUPART_URL, &url, CURLU_NO_DEFAULT_PORT);
    if (rc == CURLUE_OK)
        reason = emit(url, out, cap);
    else if (!reason && rc == CURLUE_OUT_OF_MEMORY) {
        curl_free(host);
        curl_url_cleanup(u);
        return refuse(out, cap, err, KBJ_ENOMEM, "out of memory parsing a URL");
    } else if (!reason)
        reason = rc == CURLUE_NO_HOST ? "no host"
               : rc == CURLUE_BAD_PORT_NUMBER ? "invalid port" : "not a URL";
    curl_free(url);
    curl_free(host);
    curl_url_cleanup(u);
    if (reason)
        return refuse(out, cap, err, KBJ_EINVAL, reason);
    return KBJ_OK;
}

/* ---- redact ---------------------------------------------------------------------- */

/* Appends n bytes to out (capacity cap, *o used); 0, or -1 when cut short. */
static int put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    size_t room = cap - 1 - *o;
    size_t k = n < room ? n : room;
    memcpy(out + *o, s, k);
    *o += k;
    out[*o] = '\0';
    return k == n ? 0 : -1;
}

int kbj_url_redact(const char *url, char *out, size_t cap)
{
    size_t o = 0, len, s, auth_end, at = 0;
    int cut = 0, has_at = 0;

    if (!url || !out || cap == 0)
        return KBJ_EINVAL;
    out[0] = '\0';
    len = strlen(url);
    s = scheme_len(url, len);
    if (s == 0 || len < s + 3 || url[s + 1] != '/' || url[s + 2] != '/')
        return put(out, cap, &o, url, len) == 0 ? KBJ_OK : KBJ_EINVAL;

    s += 3; /* start of the authority */
    for (auth_end = s; auth_end < len && !strchr("/?#", url[auth_end]); auth_end++)
        if (url[auth_end] == '@') {
            at = auth_end;
            has_at = 1;
        }
    if (!has_at)
        return put(out, cap, &o, url, len) == 0 ? KBJ_OK : KBJ_EINVAL;
    cut |= put(out, cap, &o, url, s);
    cut |= put(out, cap, &o, "***@", 4);
    cut |= put(out, cap, &o, url + at + 1, len - at - 1);
    return cut ? KBJ_EINVAL : KBJ_OK;
}

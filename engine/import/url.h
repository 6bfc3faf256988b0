/*
 * url.h - URL normalisation and redaction for URL lists and logs.
 *
 * Built on libcurl's URL API (CURLU); this module and the fetcher are the only ones
 * that include curl.h. Only absolute http and https URLs are accepted.
 */
#ifndef KBJ_URL_H
#define KBJ_URL_H

#include <stddef.h>

#include "kbj.h"

/* The longest URL accepted, in bytes, before and after normalisation. */
#define KBJ_URL_MAX 2048

/*
 * Normalises the `len` bytes at `in` (no NUL needed; a NUL byte inside is refused) into
 * `out`, NUL-terminated, capacity `cap` (KBJ_URL_MAX + 1 always suffices):
 *
 * - leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r) is trimmed;
 * - the scheme and the host are lowercased; an international (UTF-8) host becomes
 *   punycode ("bücher.example" -> "xn--bcher-kva.example"), converted by libcurl with
 *   libidn2 under a thread-local C.UTF-8 locale (the process locale is not touched);
 *   if the system has no C.UTF-8 locale the UTF-8 host is kept, with its ASCII letters
 *   lowercased;
 * - the fragment is dropped, and so are default ports (:80 for http, :443 for https);
 * - an empty path becomes "/", and "." and ".." path segments are resolved (libcurl);
 * - bytes above 0x7F left in the path or query are percent-encoded ("%C3%A4");
 * - user:password is kept (kbj_url_redact() hides it for logs).
 *
 * Returns 0, or KBJ_EINVAL with a short reason as the message: "empty", "longer than
 * 2048 bytes" (the input after trimming, or the normalised URL), "not a URL", "scheme
 * must be http or https", "no host", "contains control characters or spaces",
 * "invalid port", "invalid international host name", or "too long" when the result does
 * not fit `cap`; also for NULL arguments or cap 0. KBJ_ENOMEM when libcurl runs out of
 * memory (except while converting a non-ASCII host, where libcurl reports a failed
 * conversion and a failed allocation alike; both give "invalid international host
 * name"). On failure `out` is "" (when cap > 0). Thread-safe.
 */
int kbj_url_normalise(const char *in, size_t len, char *out, size_t cap, kbj_err *err);

/*
 * Copies the NUL-terminated `url` into `out` (capacity `cap`) with any userinfo
 * ("user:password@" between "scheme://" and the host) replaced by "***@", for logs.
 * Works on any string, well-formed or not; without "scheme://" it is copied unchanged.
 * Returns 0, or KBJ_EINVAL when `url` or `out` is NULL or cap is 0 (`out` untouched),
 * or when the redacted form does not fit: `out` then holds as much of the redacted form
 * as fits, NUL-terminated, so it never shows the credentials.
 */
int kbj_url_redact(const char *url, char *out, size_t cap);

#endif /* KBJ_URL_H */

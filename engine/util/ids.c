/*
 * ids.c - small helpers every module shares: ids and names, strings, times and clocks.
 * Depends on nothing but libc.
 */
#include "ids.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double kbj_monotonic(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

double kbj_boottime(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
        return kbj_monotonic();
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double kbj_unix_time(void)
{
    return clock_seconds(CLOCK_REALTIME);
}

int kbj_new_id(char id[KBJ_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[KBJ_ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return KBJ_EIO;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        id[2 * i] = hex[raw[i] >> 4];
        id[2 * i + 1] = hex[raw[i] & 15];
    }
    id[KBJ_ID_LEN] = '\0';
    return KBJ_OK;
}

int kbj_valid_name(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
        if (n >= KBJ_NAME_MAX)
            return 0;
    }
    return n > 0;
}

int kbj_valid_id(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++)
        if (n >= KBJ_ID_LEN || !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == KBJ_ID_LEN;
}

void kbj_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

double kbj_dbtime(const char *s)
{
    return s ? strtod(s, NULL) : 0;
}

char *kbj_placeholders(size_t n)
{
    char *p = malloc(n ? 2 * n : 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        p[2 * i] = '?';
        p[2 * i + 1] = ',';
    }
    p[n ? 2 * n - 1 : 0] = '\0';
    return p;
}

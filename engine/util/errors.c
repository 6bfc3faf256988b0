/*
 * errors.c - the engine's error codes: recording a message with a code (kbj_fail) and
 * naming a code (kbj_strerror).
 */
#include "kbj.h"

#include <stdarg.h>
#include <stdio.h>

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

/*
 * kbj.h - the public C API of the kbjobs engine.
 *
 * Plain C11, no PHP headers. Every function that can fail returns 0 (KBJ_OK) or a
 * negative KBJ_E* code; functions working on a handle keep the last error message on
 * that handle (see kbj_store_errmsg()). Nothing in the engine prints, exits or aborts
 * on bad input. Ownership is explicit: whoever allocates frees, and every *_free()
 * accepts NULL.
 */
#ifndef KBJ_H
#define KBJ_H

#include <stddef.h>

#define KBJ_VERSION "0.1.0"
/* major * 10000 + minor * 100 + patch, for numeric comparisons. */
#define KBJ_VERSION_ID 100

/* Error codes. Always negative; KBJ_OK is zero. */
enum {
    KBJ_OK = 0,
    KBJ_EINVAL = -1,       /* an argument is malformed or out of range */
    KBJ_ENOMEM = -2,       /* an allocation failed */
    KBJ_EDB = -3,          /* the database refused or failed a statement */
    KBJ_ECONNECT = -4,     /* the database cannot be reached */
    KBJ_EUNSUPPORTED = -5, /* the server or schema is not one this code can use */
    KBJ_ENOTFOUND = -6,    /* no such job, runner or entry */
    KBJ_ECONFLICT = -7,    /* an illegal state transition */
    KBJ_ELEASE = -8,       /* the caller's lease was lost (fenced out) */
    KBJ_EIO = -9,          /* a filesystem operation failed */
};

/*
 * Returns a static, human-readable name for an error code ("invalid argument"), or
 * "unknown error" for a code the engine does not define. Never NULL.
 */
const char *kbj_strerror(int code);

/* Returns the engine's version string, KBJ_VERSION. */
const char *kbj_version(void);

/* One library the engine links, with the version found at run time. */
typedef struct kbj_library {
    const char *name;    /* "libmariadb", "libcurl", "jansson", "libxml2" */
    const char *version; /* static string owned by the library; never NULL */
} kbj_library;

/*
 * Writes up to `cap` entries describing the libraries the engine links into `out`
 * and returns the number of libraries known (which may exceed `cap`; call with
 * cap 0 to ask). The strings are static and need no freeing.
 */
size_t kbj_libraries(kbj_library *out, size_t cap);

#endif /* KBJ_H */

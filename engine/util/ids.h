/*
 * ids.h - small helpers every module shares: ids and names, strings, times and clocks.
 */
#ifndef KBJ_IDS_H
#define KBJ_IDS_H

#include <stddef.h>

#include "kbj.h"

/* Fills `id` with 16 random lowercase hex characters from the OS. Returns 0 or KBJ_EIO. */
int kbj_new_id(char id[KBJ_ID_LEN + 1]);

/* Whether `s` is a valid job type or queue name: 1..64 of [a-z0-9_.-]. */
int kbj_valid_name(const char *s);

/* Whether `s` is a public id: 16 lowercase hex characters. */
int kbj_valid_id(const char *s);

/* Copies src (NULL: "") into dst of capacity cap, truncating, always terminated. */
void kbj_copy(char *dst, size_t cap, const char *src);

/* Parses a database time column selected as UNIX_TIMESTAMP(col): 0 for NULL. */
double kbj_dbtime(const char *s);

/* Builds "?,?,?" for n placeholders into a malloc'd string; NULL when out of memory. */
char *kbj_placeholders(size_t n);

/* Seconds on the monotonic clock (intervals and budgets). */
double kbj_monotonic(void);
/* Seconds on the clock that also goes on while the machine is suspended (leases). */
double kbj_boottime(void);
/* Seconds since the Unix epoch, with fractions. */
double kbj_unix_time(void);

#endif /* KBJ_IDS_H */

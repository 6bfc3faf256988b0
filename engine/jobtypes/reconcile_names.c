/*
 * reconcile_names.c - the expected file names of each walked folder (one table), the
 * hostile-name test and the escaping of names for reports.
 */
#include "reconcile_names.h"

#include <stdio.h>
#include <string.h>

#include "ids.h"

static const char *const dir_names[KBJ_RDIR_COUNT] = { "artifacts", "lists", "logs", "checkpoints" };

/* Every <job><suffix> pattern, by folder. The artifacts' own pattern (<hh>/<sha256>.json)
 * is checked in code below, as it depends on the bucket. */
static const struct {
    int dir;
    const char *suffix;
} job_files[] = {
    { KBJ_RDIR_LISTS, ".urls" },                  /* urllist.c: the list as submitted */
    { KBJ_RDIR_LISTS, ".idx" },                   /* urllist.c: its offset index */
    { KBJ_RDIR_LISTS, ".failed.jsonl" },          /* import.c: failed items */
    { KBJ_RDIR_LOGS, ".log" },                    /* joblog.c */
    { KBJ_RDIR_LOGS, ".reconcile.jsonl" },        /* reconcile.c: a run's findings */
    { KBJ_RDIR_CHECKPOINTS, ".checkpoint.json" }, /* checkpoint.c */
    { KBJ_RDIR_CHECKPOINTS, ".partial.json" },    /* checkpoint.c */
};

const char *kbj_rdir_name(int dir)
{
    return dir >= 0 && dir < KBJ_RDIR_COUNT ? dir_names[dir] : "";
}

static int is_hex_lower(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int is_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* A name an operator's tools would mangle or that could mean a path: control bytes,
 * spaces, bytes past ASCII (not always UTF-8), "..", a leading '-' (read as an option). */
static int hostile(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return 1;
    return name[0] == '-' || strstr(name, "..") != NULL;
}

/* ".<base>.tmp.<pid>.<counter>": fsutil.c, urllist.c and artifact.c write through it. */
static int temp_name(const char *name)
{
    const char *t, *dot;
    if (name[0] != '.' || !(t = strstr(name + 1, ".tmp.")) || t == name + 1)
        return 0;
    t += 5;
    dot = strchr(t, '.');
    return dot && is_digits(t, (size_t)(dot - t)) && is_digits(dot + 1, strlen(dot + 1));
}

kbj_rname_kind kbj_rname_classify(int dir, const char *bucket, const char *name, char *id,
                                  const char **suffix)
{
    size_t n = strlen(name);

    id[0] = '\0';
    if (suffix)
        *suffix = NULL;
    if (hostile(name))
        return KBJ_RNAME_HOSTILE;
    if (temp_name(name))
        return KBJ_RNAME_TEMP;
    if (dir == KBJ_RDIR_ARTIFACTS) {
        if (!bucket)
            return n == 2 && is_hex_lower(name, 2) ? KBJ_RNAME_BUCKET : KBJ_RNAME_UNEXPECTED;
        return n == 69 && is_hex_lower(name, 64) && strcmp(name + 64, ".json") == 0 &&
                       strncmp(name, bucket, 2) == 0 && strlen(bucket) == 2
                   ? KBJ_RNAME_ARTIFACT
                   : KBJ_RNAME_UNEXPECTED;
    }
    if (dir == KBJ_RDIR_LISTS && n == KBJ_ID_LEN + 9 && strcmp(name + KBJ_ID_LEN, ".resubmit") == 0)
        return KBJ_RNAME_TEMP;
    if (n <= KBJ_ID_LEN)
        return KBJ_RNAME_UNEXPECTED;
    for (size_t i = 0; i < sizeof job_files / sizeof job_files[0]; i++) {
        if (job_files[i].dir != dir || strcmp(name + KBJ_ID_LEN, job_files[i].suffix) != 0)
            continue;
        memcpy(id, name, KBJ_ID_LEN);
        id[KBJ_ID_LEN] = '\0';
        if (!kbj_valid_id(id)) {
            id[0] = '\0';
            return KBJ_RNAME_UNEXPECTED;
        }
        if (suffix)
            *suffix = name + KBJ_ID_LEN;
        return KBJ_RNAME_JOB_FILE;
    }
    return KBJ_RNAME_UNEXPECTED;
}

int kbj_rname_is_list_suffix(const char *suffix)
{
    return suffix && (strcmp(suffix, ".urls") == 0 || strcmp(suffix, ".idx") == 0 ||
                      strcmp(suffix, ".failed.jsonl") == 0);
}

int kbj_rname_escape(const char *name, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    int escaped = 0;

    if (cap == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p > 0x20 && *p < 0x7f && *p != '\\') {
            if (o + 1 >= cap)
                break;
            out[o++] = (char)*p;
        } else {
            if (o + 4 >= cap)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
            escaped = 1;
        }
    }
    out[o] = '\0';
    return escaped;
}

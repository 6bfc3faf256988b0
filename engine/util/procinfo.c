/*
 * procinfo.c - what the engine reads about its own process: the resident memory, for
 * kbj_run's memory budget and for bindings that measure memory the same way.
 */
#include "kbj.h"

#include <stdio.h>
#include <unistd.h>

size_t kbj_process_rss(void)
{
    long pages = 0, resident = 0, page_size = sysconf(_SC_PAGESIZE);
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2 || resident < 0)
        resident = 0;
    fclose(f);
    return page_size > 0 ? (size_t)resident * (size_t)page_size : 0;
}

#include "attest_system.h"

#include <stdlib.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int attest_limit_malloc_arenas(int arenas) {
#if defined(__GLIBC__)
    if (getenv("MALLOC_ARENA_MAX") != NULL) return 0;
    return mallopt(M_ARENA_MAX, arenas) == 1 ? 1 : 0;
#else
    (void)arenas;
    return 0;
#endif
}

int attest_set_thread_nice(int nice) {
#if defined(__linux__)
    // On Linux, PRIO_PROCESS with a thread id sets that thread's niceness alone.
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice) == 0 ? 0 : -1;
#else
    (void)nice;
    return -1;
#endif
}

int attest_thread_nice(void) {
#if defined(__linux__)
    return getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
#else
    return 0;
#endif
}

int attest_set_thread_name(const char *name) {
#if defined(__linux__)
    // PR_SET_NAME names the calling thread; longer names are cut to 15 bytes.
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0) == 0 ? 0 : -1;
#else
    (void)name;
    return -1;
#endif
}

int attest_thread_name(char *buf, int size) {
#if defined(__linux__)
    if (size < 16) return -1;
    return prctl(PR_GET_NAME, (unsigned long)buf, 0, 0, 0) == 0 ? 0 : -1;
#else
    (void)buf;
    (void)size;
    return -1;
#endif
}

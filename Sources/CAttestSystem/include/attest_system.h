// Small calls into the C library that Swift's Glibc module does not expose.
#ifndef ATTEST_SYSTEM_H
#define ATTEST_SYSTEM_H

// Limits glibc malloc to `arenas` arenas (mallopt(M_ARENA_MAX)), unless MALLOC_ARENA_MAX is set
// in the environment, which then wins. Returns 1 when the limit was set, 0 otherwise (another C
// library, or the environment decided).
int attest_limit_malloc_arenas(int arenas);

// Sets the scheduling niceness of the calling thread only (Linux: setpriority on its thread id).
// Returns 0 on success, -1 otherwise (another system, or not permitted).
int attest_set_thread_nice(int nice);

// The scheduling niceness of the calling thread (Linux), or 0 elsewhere.
int attest_thread_nice(void);

// Names the calling thread (Linux: at most 15 bytes, as `top -H`, `perf` and /proc show it;
// Foundation's Thread.name does not reach the system there). Returns 0 on success, -1 otherwise.
int attest_set_thread_name(const char *name);

// Copies the calling thread's name into `buf` (at least 16 bytes, NUL-terminated). Returns 0 on
// success, -1 otherwise (another system).
int attest_thread_name(char *buf, int size);

#endif

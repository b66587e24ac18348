/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jarena.h - a per-thread bump allocator for the cJSON trees the proxy
 * builds to judge one message and throws away right after.
 *
 * Judging a small tools/call took ~40 malloc/free pairs, all of them dead
 * when the message is forwarded.  Between jarena_begin() and jarena_end()
 * cJSON allocates from the calling thread's arena; frees inside it are
 * no-ops and the whole arena is reset at the end.  Outside a begin/end
 * pair (the main thread's policy parsing, any other caller) cJSON uses
 * malloc as before.  Nothing allocated by cJSON inside the pair may be
 * used after jarena_end(): copy what must survive with plain malloc.
 */
#ifndef SL_JARENA_H
#define SL_JARENA_H

/* Routes cJSON's allocations through the arena logic; once, at start. */
void jarena_install(void);
void jarena_begin(void);
void jarena_end(void);
/* Frees the calling thread's arena; call as a thread that judged ends. */
void jarena_thread_exit(void);

#endif

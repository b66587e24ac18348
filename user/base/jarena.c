// SPDX-License-Identifier: GPL-2.0-only
/* jarena.c - per-thread bump allocation for throwaway cJSON trees (see jarena.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "jarena.h"

/* Big enough for a 16 KiB JSON message's tree; larger ones spill to malloc. */
#define JARENA_BYTES	(256 * 1024)
#define JARENA_ALIGN	16

struct jarena {
	char *base;
	size_t used;
	bool active;
};

static __thread struct jarena arena;

static void *jarena_malloc(size_t n)
{
	size_t need = (n + JARENA_ALIGN - 1) & ~(size_t)(JARENA_ALIGN - 1);

	if (arena.active && arena.base && need <= JARENA_BYTES - arena.used) {
		void *p = arena.base + arena.used;

		arena.used += need;
		return p;
	}
	return malloc(n);
}

/* Arena memory goes all at once at jarena_end(); the rest is malloc's. */
static void jarena_free(void *p)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)arena.base;

	if (arena.base && a >= base && a < base + JARENA_BYTES)
		return;
	free(p);
}

void jarena_install(void)
{
	cJSON_Hooks hooks = { .malloc_fn = jarena_malloc, .free_fn = jarena_free };

	cJSON_InitHooks(&hooks);
}

void jarena_begin(void)
{
	if (!arena.base)
		arena.base = malloc(JARENA_BYTES);	/* per thread, kept for its life */
	arena.used = 0;
	arena.active = true;
}

void jarena_end(void)
{
	arena.active = false;
	arena.used = 0;
}

void jarena_thread_exit(void)
{
	free(arena.base);
	arena = (struct jarena){};
}

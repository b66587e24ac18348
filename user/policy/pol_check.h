/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pol_check.h - the table-driven JSON checker the policy schema is built
 * from: generic checks, paths and error reporting, no policy knowledge.
 *
 * A schema is data: each object kind is a table of fields (name, check,
 * check argument, default, required), each check a function of
 * (context, item, argument) that reports every problem it finds with the
 * JSON path and the text position, and returns 0 or -EINVAL.  Checks never
 * stop at the first error; policy_parse() wants them all.
 *
 * Defaults are written into the tree as the check goes, so whoever reads the
 * checked JSON later (the daemon) sees every field and needs no second copy
 * of the defaults.
 */
#ifndef SL_POL_CHECK_H
#define SL_POL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "base/jpos.h"
#include "pol_errors.h"

/* Errors kept per policy: past this, fixing the first ones matters more. */
#define PC_MAX_ERRORS 100

struct pc_ctx {
	const struct jpos *jp;
	struct pol_errors *errs;
	cJSON *root;
	size_t at;		/* where errors about unwritten (default) items go */
	char path[512];		/* JSON path of the item being checked */
	size_t path_len;
	int fatal;		/* -ENOMEM once any allocation failed */
};

typedef int (*pc_check_fn)(struct pc_ctx *c, cJSON *item, const void *arg);

struct pc_field {
	const char *name;
	pc_check_fn check;
	const void *arg;
	const char *def;	/* JSON added when the field is absent; NULL: stays absent */
	bool required;
};

struct pc_object {
	const struct pc_field *fields;
	size_t n_fields;
	/* Cross-field checks; run only when every field passed its own, so
	 * they may trust the fields' types and ranges. */
	int (*finish)(struct pc_ctx *c, cJSON *obj);
};

/* An object whose keys are names (backends, agents, ...). */
struct pc_map {
	const struct pc_string *key;
	const struct pc_object *value;
	size_t min, max;
	const char *what;	/* "backend": for "expected at least one backend" */
};

struct pc_array {
	pc_check_fn elem;
	const void *elem_arg;
	size_t min, max;
	/* Canonical form of a valid element; elements must differ in it.
	 * NULL: duplicates allowed. */
	bool (*canon)(const cJSON *item, char *buf, size_t len);
	const char *what;	/* "port": for "duplicate port 8470" */
};

struct pc_int {
	long long min, max;	/* within +-2^53: exact in a double */
	const char *what;	/* "port": "expected an integer port 1..65535" */
};

struct pc_number {
	double min, max;
};

struct pc_string {
	const char *what;	/* "an agent name (1..63 characters of A-Za-z0-9._-)" */
	size_t min_len, max_len;
	bool (*ok_char)(unsigned char ch);	/* NULL: any character */
	/* Further checks of the whole text: NULL when fine, else why not
	 * (may be written into @buf). */
	const char *(*why)(const char *text, char *buf, size_t len);
};

/* The checks; @arg is the matching struct above (or a NULL-terminated name
 * list for pc_enum, nothing for pc_bool and pc_any). */
int pc_object(struct pc_ctx *c, cJSON *item, const void *arg);
int pc_map(struct pc_ctx *c, cJSON *item, const void *arg);
int pc_array(struct pc_ctx *c, cJSON *item, const void *arg);
int pc_int(struct pc_ctx *c, cJSON *item, const void *arg);
int pc_number(struct pc_ctx *c, cJSON *item, const void *arg);
int pc_string(struct pc_ctx *c, cJSON *item, const void *arg);
int pc_enum(struct pc_ctx *c, cJSON *item, const void *arg);
int pc_bool(struct pc_ctx *c, cJSON *item, const void *arg);
int pc_any(struct pc_ctx *c, cJSON *item, const void *arg);

/* Reports every key that appears twice in an object, anywhere in the tree. */
int pc_check_duplicates(struct pc_ctx *c, const cJSON *item);

/* Errors: "PATH: message" at @item's value (or key); -EINVAL, or -ENOMEM. */
int pc_error(struct pc_ctx *c, const cJSON *item, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int pc_error_key(struct pc_ctx *c, const cJSON *item, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Where @item is written; items added as defaults are where c->at is. */
size_t pc_value_off(const struct pc_ctx *c, const cJSON *item);
/* "L:C" of @item, for "first at L:C" notes. */
const char *pc_where(const struct pc_ctx *c, const cJSON *item, char *buf, size_t len);
/* "\"http\"", "8470.5", "true", "an object", ... for "got ..." */
const char *pc_describe(const struct pc_ctx *c, const cJSON *item, char *buf, size_t len);

/* The path grows by ".key" (or ["key"] when the key is not a plain word)
 * or "[i]"; each push returns a mark that pc_pop() goes back to. */
size_t pc_push_key(struct pc_ctx *c, const char *key);
size_t pc_push_index(struct pc_ctx *c, size_t index);
void pc_pop(struct pc_ctx *c, size_t mark);

/* Adds @json (constant text) as @obj's member @name; NULL when out of memory. */
cJSON *pc_add_default(struct pc_ctx *c, cJSON *obj, const char *name, const char *json);
/* An integral number in [min, max] as checked by pc_int; false otherwise. */
bool pc_get_int(const cJSON *obj, const char *name, long long *out);

#endif

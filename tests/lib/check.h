/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * check.h - the tiny harness every C test uses.
 *
 * A test binary runs cases; each case prints exactly one line,
 * "PASS: <binary>: <case>" or "FAIL: <binary>: <case>: <why>", which
 * tests/run.sh counts.  The binary exits 1 when any case failed.
 *
 *	TEST_CASE("deny hit drops") {
 *		CHECK(verdict == XDP_DROP, "verdict %u", verdict);
 *	}
 *	return test_finish();
 */
#ifndef SL_TEST_CHECK_H
#define SL_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>

static const char *test_prog_name = "test";
static int test_passed, test_failed;
static bool test_case_ok;
static char test_case_name[256];
static char test_case_why[512];

static inline void test_init(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	test_prog_name = slash ? slash + 1 : argv0;
}

static inline void test_case_begin(const char *name)
{
	snprintf(test_case_name, sizeof(test_case_name), "%s", name);
	test_case_ok = true;
	test_case_why[0] = '\0';
}

static inline void test_case_end(void)
{
	if (test_case_ok) {
		test_passed++;
		printf("PASS: %s: %s\n", test_prog_name, test_case_name);
	} else {
		test_failed++;
		printf("FAIL: %s: %s: %s\n", test_prog_name, test_case_name, test_case_why);
	}
	fflush(stdout);
}

/* Runs the block that follows as one case. */
#define TEST_CASE(name) \
	for (int _once = (test_case_begin(name), 1); _once; _once = (test_case_end(), 0))

/* Records the first failure of a case; later checks still run. */
#define CHECK(cond, fmt, ...) do {						\
	if (!(cond)) {								\
		if (test_case_ok)						\
			snprintf(test_case_why, sizeof(test_case_why),		\
				 "%s:%d: %s: " fmt, __FILE__, __LINE__, #cond,	\
				 ##__VA_ARGS__);				\
		test_case_ok = false;						\
	}									\
} while (0)

static inline int test_finish(void)
{
	fprintf(stderr, "%s: %d passed, %d failed\n", test_prog_name, test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_nearest.c - "did you mean" (user/base/nearest.c), shared by the
 * policy checker's field names and sluicectl's command names.
 */
#include "check.h"
#include "base/nearest.h"

static const char *const commands[] = {
	"attach", "detach", "policy", "block", "unblock", "ban", "unban", "stats",
	"events", "status", "sources", "reload", "daemon", "help",
};

static const char *nearest(const char *typed)
{
	struct sl_nearest n;

	sl_nearest_init(&n, typed);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		sl_nearest_offer(&n, commands[i]);
	return sl_nearest_get(&n);
}

#define SUGGESTS(typed, want) do {						\
	const char *got = nearest(typed);					\
	CHECK(got && !strcmp(got, want), "%s -> %s", typed, got ? got : "(none)"); \
} while (0)

static void test_distance(void)
{
	TEST_CASE("edit distance: one edit of each kind") {
		CHECK(sl_edit_distance("status", "status") == 0, "same");
		CHECK(sl_edit_distance("status", "statu") == 1, "deletion");
		CHECK(sl_edit_distance("status", "statuss") == 1, "insertion");
		CHECK(sl_edit_distance("status", "statas") == 1, "substitution");
		CHECK(sl_edit_distance("stauts", "status") == 1, "swap of neighbours");
		CHECK(sl_edit_distance("", "abc") == 3, "from nothing");
		CHECK(sl_edit_distance("kitten", "sitting") == 3, "kitten");
	}
	TEST_CASE("edit distance: names over 64 bytes are not compared") {
		char longer[80];

		memset(longer, 'a', sizeof(longer) - 1);
		longer[sizeof(longer) - 1] = '\0';
		CHECK(sl_edit_distance(longer, "a") == (size_t)-1, "long");
	}
}

static void test_suggestions(void)
{
	TEST_CASE("a typo gets the command meant") {
		SUGGESTS("stauts", "status");	/* a swap beats "stats", a deletion away */
		SUGGESTS("sttus", "status");
		SUGGESTS("atach", "attach");
		SUGGESTS("dameon", "daemon");
		SUGGESTS("stat", "stats");
		SUGGESTS("polcy", "policy");
	}
	TEST_CASE("nothing close: no suggestion") {
		CHECK(!nearest("xyzzy"), "xyzzy -> %s", nearest("xyzzy"));
		CHECK(!nearest("ls"), "ls -> %s", nearest("ls"));
		CHECK(!nearest("configure"), "configure -> %s", nearest("configure"));
	}
	TEST_CASE("no candidates: no suggestion") {
		struct sl_nearest n;

		sl_nearest_init(&n, "status");
		CHECK(!sl_nearest_get(&n), "empty");
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_distance();
	test_suggestions();
	return test_finish();
}

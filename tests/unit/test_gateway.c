// SPDX-License-Identifier: GPL-2.0-only
/* test_gateway.c - connection limits and the session table shared by workers. */
#include <arpa/inet.h>

#include "check.h"
#include "sluiced/admit.h"
#include "sluiced/sessions.h"

static struct net_addr v4(unsigned int n)
{
	struct net_addr a = {};
	struct sockaddr_in *s = (struct sockaddr_in *)&a.ss;

	s->sin_family = AF_INET;
	s->sin_addr.s_addr = htonl(0xc6120000u + n);	/* 198.18.0.0/15 */
	a.len = sizeof(*s);
	return a;
}

static void test_source_slots_recycled(void)
{
	struct gw_config cfg = { .max_connections = 100000, .max_connections_per_source = 2 };
	int why = 0;
	bool all = true;

	TEST_CASE("20000 distinct sources over time, one at a time: every one admitted") {
		for (unsigned int i = 0; i < 20000 && all; i++) {
			struct net_addr a = v4(i);

			all = admit_conn(&cfg, &a, &why);
			admit_release(&a);
		}
		CHECK(all, "a source was refused with %d after earlier ones left", why);
	}
}

static void test_per_source_limit(void)
{
	struct gw_config cfg = { .max_connections = 100000, .max_connections_per_source = 2 };
	struct net_addr a = v4(7), b = v4(8);
	int why = 0;

	TEST_CASE("per-source limit: the third connection is 429, others unaffected") {
		CHECK(admit_conn(&cfg, &a, &why) && admit_conn(&cfg, &a, &why), "first two");
		CHECK(!admit_conn(&cfg, &a, &why) && why == 429, "third: %d", why);
		CHECK(admit_conn(&cfg, &b, &why), "another source");
		admit_release(&a);
		CHECK(admit_conn(&cfg, &a, &why), "after one left");
		admit_release(&a);
		admit_release(&a);
		admit_release(&b);
	}
}

static void test_total_limit(void)
{
	struct gw_config cfg = { .max_connections = 2, .max_connections_per_source = 2 };
	struct net_addr a = v4(11), b = v4(12), c = v4(13);
	int why = 0;

	TEST_CASE("total limit: past max_connections any source gets 503") {
		CHECK(admit_conn(&cfg, &a, &why) && admit_conn(&cfg, &b, &why), "first two");
		CHECK(!admit_conn(&cfg, &c, &why) && why == 503, "third: %d", why);
		admit_release(&a);
		CHECK(admit_conn(&cfg, &c, &why), "after one left");
		admit_release(&b);
		admit_release(&c);
	}
}

/* Many live sources, released in an order that breaks probe runs. */
static void test_release_keeps_others_findable(void)
{
	struct gw_config cfg = { .max_connections = 100000, .max_connections_per_source = 1 };
	int why = 0;
	bool ok = true;

	TEST_CASE("releasing sources keeps the others' counts (backward-shift deletion)") {
		for (unsigned int i = 0; i < 3000; i++) {
			struct net_addr a = v4(i);

			ok &= admit_conn(&cfg, &a, &why);
		}
		for (unsigned int i = 0; i < 3000; i += 2) {
			struct net_addr a = v4(i);

			admit_release(&a);
		}
		/* Odd ones are still counted: a second connection each is refused. */
		for (unsigned int i = 1; i < 3000 && ok; i += 2) {
			struct net_addr a = v4(i);

			ok &= !admit_conn(&cfg, &a, &why) && why == 429;
		}
		CHECK(ok, "a live source's count was lost");
		for (unsigned int i = 1; i < 3000; i += 2) {
			struct net_addr a = v4(i);

			admit_release(&a);
		}
	}
}

static void test_sessions(void)
{
	struct session s = { .backend = "main" }, got;
	char id[64];
	bool ok = true;

	TEST_CASE("the session table makes room past its size instead of refusing") {
		for (unsigned int i = 0; i < 70000; i++) {
			snprintf(id, sizeof(id), "sess-%u", i);
			sessions_put(id, &s);
		}
		ok = sessions_get("sess-69999", &got) && !strcmp(got.backend, "main");
		CHECK(ok, "the newest session was not kept");
		sessions_del("sess-69999");
		CHECK(!sessions_get("sess-69999", &got), "delete");
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_source_slots_recycled();
	test_per_source_limit();
	test_total_limit();
	test_release_keeps_others_findable();
	test_sessions();
	return test_finish();
}

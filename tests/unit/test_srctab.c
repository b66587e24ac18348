// SPDX-License-Identifier: GPL-2.0-only
/* test_srctab.c - the source-table compiler: effective deny and identity. */
#include <arpa/inet.h>

#include "check.h"
#include "kern/names.h"
#include "kern/srctab.h"

static struct sl_prefix pfx(const char *text)
{
	struct sl_prefix p = {};
	const char *why;

	if (sl_prefix_parse(text, &p, &why))
		fprintf(stderr, "bad prefix in test: %s\n", text);
	return p;
}

static const struct sl_src_value *val(struct srctab *t, const char *text)
{
	struct sl_prefix p = pfx(text);
	const struct srctab_entry *e = srctab_find(t, &p);

	return e ? &e->val : NULL;
}

static void test_deny_inherited_by_identity(void)
{
	struct srctab t = {};
	struct sl_prefix deny = pfx("10.0.0.0/8"), ident = pfx("10.1.2.3");
	const struct sl_src_value *v;

	TEST_CASE("identity inside a deny prefix stays denied") {
		srctab_add(&t, &deny, SL_SRC_POLICY_DENY, 0, 0);
		srctab_add(&t, &ident, SL_SRC_IDENT, 0, 7);
		srctab_compile(&t, 1000);
		v = val(&t, "10.1.2.3");
		CHECK(v && v->eff_deny_until_ns == SL_FOREVER, "deny %llu",
		      v ? (unsigned long long)v->eff_deny_until_ns : 0ULL);
		CHECK(v && v->eff_agent_id == 7, "agent %u", v ? v->eff_agent_id : 0);
		v = val(&t, "10.0.0.0/8");
		CHECK(v && v->eff_agent_id == 0, "the /8 has no agent");
	}
	srctab_free(&t);
}

static void test_deny_inside_identity(void)
{
	struct srctab t = {};
	struct sl_prefix ident = pfx("2001:db8::/32"), deny = pfx("2001:db8:1::/48");
	const struct sl_src_value *v;

	TEST_CASE("deny inside an identity prefix keeps the agent (v6)") {
		srctab_add(&t, &ident, SL_SRC_IDENT, 0, 3);
		srctab_add(&t, &deny, SL_SRC_POLICY_DENY, 0, 0);
		srctab_compile(&t, 1000);
		v = val(&t, "2001:db8:1::/48");
		CHECK(v && v->eff_agent_id == 3 && v->eff_deny_until_ns == SL_FOREVER, "eff");
		v = val(&t, "2001:db8::/32");
		CHECK(v && v->eff_deny_until_ns == 0, "the /32 is not denied");
	}
	srctab_free(&t);
}

static void test_longest_identity_wins(void)
{
	struct srctab t = {};
	struct sl_prefix wide = pfx("198.18.0.0/15"), narrow = pfx("198.18.5.0/24");
	struct sl_prefix host = pfx("198.18.5.9");
	const struct sl_src_value *v;

	TEST_CASE("the longest containing identity wins") {
		srctab_add(&t, &wide, SL_SRC_IDENT, 0, 1);
		srctab_add(&t, &narrow, SL_SRC_IDENT, 0, 2);
		srctab_add(&t, &host, SL_SRC_BLOCK, 5000, 0);
		srctab_compile(&t, 1000);
		v = val(&t, "198.18.5.9");
		CHECK(v && v->eff_agent_id == 2, "agent %u", v ? v->eff_agent_id : 0);
		CHECK(v && v->eff_deny_until_ns == 5000, "block deadline");
	}
	srctab_free(&t);
}

static void test_expired_block_pruned(void)
{
	struct srctab t = {};
	struct sl_prefix a = pfx("192.0.2.1"), b = pfx("192.0.2.0/24");

	TEST_CASE("an expired block disappears, a live one stays") {
		srctab_add(&t, &a, SL_SRC_BLOCK, 500, 0);
		srctab_add(&t, &b, SL_SRC_BLOCK, SL_FOREVER, 0);
		srctab_compile(&t, 1000);
		CHECK(val(&t, "192.0.2.1") == NULL, "expired entry kept");
		CHECK(val(&t, "192.0.2.0/24") != NULL, "forever entry lost");
		CHECK(t.n == 1, "n %zu", t.n);
	}
	srctab_free(&t);
}

static void test_merge_and_clear(void)
{
	struct srctab t = {};
	struct sl_prefix a = pfx("203.0.113.0/24");
	const struct sl_src_value *v;

	TEST_CASE("same prefix merges reasons; clearing one keeps the others") {
		srctab_add(&t, &a, SL_SRC_POLICY_DENY, 0, 0);
		srctab_add(&t, &a, SL_SRC_BLOCK, 9000, 0);
		srctab_add(&t, &a, SL_SRC_BLOCK, 7000, 0);
		srctab_clear(&t, NULL, SL_SRC_POLICY_DENY);
		srctab_compile(&t, 1000);
		v = val(&t, "203.0.113.0/24");
		CHECK(t.n == 1, "n %zu", t.n);
		CHECK(v && v->own == SL_SRC_BLOCK && v->block_until_ns == 9000, "merged");
		CHECK(v && v->eff_deny_until_ns == 9000, "effective deadline");
		srctab_clear(&t, &a, SL_SRC_BLOCK);
		srctab_compile(&t, 1000);
		CHECK(t.n == 0, "entry with no reason kept");
	}
	srctab_free(&t);
}

static void test_mask_and_families(void)
{
	struct sl_prefix p = pfx("0.0.0.0/0"), q;
	struct srctab t = {};

	TEST_CASE("/0 contains every v4 address and no v6 one") {
		srctab_add(&t, &p, SL_SRC_POLICY_DENY, 0, 0);
		q = pfx("8.8.8.8");
		srctab_add(&t, &q, SL_SRC_IDENT, 0, 4);
		q = pfx("::1");
		srctab_add(&t, &q, SL_SRC_IDENT, 0, 5);
		srctab_compile(&t, 1);
		CHECK(val(&t, "8.8.8.8")->eff_deny_until_ns == SL_FOREVER, "v4 denied");
		CHECK(val(&t, "::1")->eff_deny_until_ns == 0, "v6 not denied");
	}
	TEST_CASE("masking clears host bits in every word") {
		struct sl_prefix m = { .family = SL_AF_INET6, .prefixlen = 40 };

		memset(m.addr, 0xff, sizeof(m.addr));
		sl_prefix_mask(&m);
		CHECK(m.addr[0] == 0xffffffff && ntohl(m.addr[1]) == 0xff000000 &&
		      m.addr[2] == 0 && m.addr[3] == 0, "%08x %08x", m.addr[0], m.addr[1]);
	}
	srctab_free(&t);
}

static void test_durations(void)
{
	static const struct { const char *in; int err; __u64 ns; } cases[] = {
		{ "90", 0, 90000000000ULL }, { "90s", 0, 90000000000ULL },
		{ "15m", 0, 900000000000ULL }, { "1h30m", 0, 5400000000000ULL },
		{ "1d", 0, 86400000000000ULL }, { "", -1, 0 }, { "1x", -1, 0 },
		{ "1h30", -1, 0 }, { "-5s", -1, 0 }, { "0s", -1, 0 },
		{ "99999999999999999999d", -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[64];
		__u64 ns = 0;
		int err;

		snprintf(name, sizeof(name), "duration '%s'", cases[i].in);
		TEST_CASE(name) {
			err = sl_duration_parse(cases[i].in, &ns);
			CHECK((err != 0) == (cases[i].err != 0), "err %d", err);
			CHECK(err || ns == cases[i].ns, "ns %llu", (unsigned long long)ns);
		}
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_deny_inherited_by_identity();
	test_deny_inside_identity();
	test_longest_identity_wins();
	test_expired_block_pruned();
	test_merge_and_clear();
	test_mask_and_families();
	test_durations();
	return test_finish();
}

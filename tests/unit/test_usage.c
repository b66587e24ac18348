// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_usage.c - the usage ledger (user/base/usage.c): records add up per
 * minute and key, a flush and a close commit everything queued, a full
 * ring counts what it drops (in memory and in the file), retention deletes
 * old minutes, the file is in WAL mode, and it reads while written.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "check.h"
#include "base/usage.h"

static char dir[] = "/tmp/sl-usage-XXXXXX";
static char path[128];

static struct usage_rec rec(const char *agent, const char *customer, const char *tool,
			    enum usage_decision d, const char *reason, __s64 t)
{
	struct usage_rec r = { .time_s = t, .decision = d, .cost = 0.5, .req_bytes = 100,
			       .resp_bytes = 1000 };

	snprintf(r.agent, sizeof(r.agent), "%s", agent);
	snprintf(r.customer, sizeof(r.customer), "%s", customer);
	snprintf(r.tool, sizeof(r.tool), "%s", tool);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	return r;
}

static struct usage_db *open_ledger(unsigned int queue, unsigned int days)
{
	struct usage_opts o = { .path = path, .retention_days = days, .queue = queue };
	struct usage_db *u = NULL;
	char why[256] = "";
	int err = usage_open(&o, &u, why, sizeof(why));

	CHECK(!err && u, "usage_open: %d %s", err, why);
	return u;
}

static void fresh(void)
{
	char p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* A number from the file, by a fixed query. */
static long long scalar(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (!sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) &&
	    !sqlite3_prepare_v2(db, sql, -1, &st, NULL) && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static const struct usage_row *row_of(const struct usage_report *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].key, key))
			return &r->rows[i];
	return NULL;
}

static void test_aggregate(void)
{
	TEST_CASE("records add up per minute and key; denials by reason") {
		__s64 m0 = (time(NULL) / 60) * 60;
		struct usage_db *u;
		struct usage_report r;
		const struct usage_row *bot, *q;
		char why[256];
		struct usage_rec x;

		fresh();
		u = open_ledger(64, 90);
		if (!u)
			continue;	/* ends the case, reported */
		for (int i = 0; i < 3; i++) {
			x = rec("bot", "acme", "run_query", USAGE_ALLOWED, "", m0 + i);
			usage_note(u, &x);
		}
		x = rec("bot", "acme", "run_query", USAGE_ALLOWED, "", m0 - 60);	/* another minute */
		x.upsell = 2;
		usage_note(u, &x);
		x = rec("bot", "acme", "get_pricing", USAGE_DENIED, "tool_denied", m0);
		usage_note(u, &x);
		x = rec("bot", "acme", "get_pricing", USAGE_LIMITED, "limited", m0);
		usage_note(u, &x);
		x = rec("ops", "", "resources/read", USAGE_ALLOWED, "", m0);
		usage_note(u, &x);
		CHECK(!usage_flush(u), "flush");
		/* run_query: 2 minutes; get_pricing: 1 (both refusals); ops: 1 */
		CHECK(scalar("SELECT count(*) FROM usage") == 4, "%lld rows",
		      scalar("SELECT count(*) FROM usage"));
		CHECK(scalar("SELECT calls FROM usage WHERE tool = 'run_query' AND minute = "
			     "(SELECT max(minute) FROM usage)") == 3, "3 calls in one minute");
		CHECK(scalar("SELECT count(*) FROM denials") == 2, "a denials row per reason");
		CHECK(!usage_read(path, USAGE_BY_AGENT, m0 - 3600, false, &r, why, sizeof(why)),
		      "read: %s", why);
		bot = row_of(&r, "bot");
		CHECK(r.n == 2 && bot && bot->sum.calls == 6 && bot->sum.denied == 1 &&
		      bot->sum.limited == 1 && bot->sum.upsell == 2 && bot->sum.req_bytes == 600 &&
		      bot->sum.resp_bytes == 6000 && bot->sum.cost == 3.0, "bot's sums");
		CHECK(bot && bot->n_reasons == 2, "two reasons");
		CHECK(r.total.calls == 7, "total %llu", (unsigned long long)r.total.calls);
		usage_report_free(&r);
		CHECK(!usage_read(path, USAGE_BY_TOOL, m0, false, &r, why, sizeof(why)), "by tool");
		q = row_of(&r, "run_query");
		CHECK(r.n == 3 && q && q->sum.calls == 3, "--since drops the older minute");
		usage_report_free(&r);
		CHECK(!usage_read(path, USAGE_BY_CUSTOMER, 0, true, &r, why, sizeof(why)), "upsell");
		CHECK(r.n == 1 && !strcmp(r.rows[0].key, "acme") && r.rows[0].sum.upsell == 2,
		      "upsell rows only");
		usage_report_free(&r);
		usage_close(u);
	}
}

struct producer {
	struct usage_db *u;
	int n;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct usage_rec x = rec("bot", "acme", "run_query", USAGE_ALLOWED, "", 0);

	for (int i = 0; i < p->n; i++)
		usage_note(p->u, &x);
	return NULL;
}

static void test_flush_and_close(void)
{
	TEST_CASE("a flush commits all noted before it, from every thread") {
		struct producer p = { .n = 5000 };
		pthread_t t[4];

		fresh();
		p.u = open_ledger(65536, 90);
		if (!p.u)
			continue;	/* ends the case, reported */
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, produce, &p);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		CHECK(!usage_flush(p.u), "flush");
		CHECK(scalar("SELECT sum(calls) FROM usage") == 20000 && !usage_lost(p.u),
		      "%lld calls, %llu lost", scalar("SELECT sum(calls) FROM usage"),
		      (unsigned long long)usage_lost(p.u));
		usage_close(p.u);
	}
	TEST_CASE("a close commits what is queued (SIGTERM)") {
		struct producer p = { .n = 777 };

		fresh();
		p.u = open_ledger(1024, 90);
		if (!p.u)
			continue;	/* ends the case, reported */
		produce(&p);
		usage_close(p.u);
		CHECK(scalar("SELECT sum(calls) FROM usage") == 777, "%lld",
		      scalar("SELECT sum(calls) FROM usage"));
	}
}

static void test_overflow(void)
{
	TEST_CASE("a full ring drops, counts, and the file says how many") {
		struct producer p = { .n = 200000 };
		long long calls, lost_file;
		__u64 lost;

		fresh();
		p.u = open_ledger(16, 90);
		if (!p.u)
			continue;	/* ends the case, reported */
		produce(&p);
		CHECK(!usage_flush(p.u), "flush");
		lost = usage_lost(p.u);
		calls = scalar("SELECT sum(calls) FROM usage");
		lost_file = scalar("SELECT value FROM meta WHERE key = 'lost_records'");
		CHECK(lost > 0, "nothing lost through a ring of 16");
		CHECK((__u64)calls + lost == 200000, "%lld committed + %llu lost", calls,
		      (unsigned long long)lost);
		CHECK(lost_file == (long long)lost, "meta.lost_records %lld, lost %llu", lost_file,
		      (unsigned long long)lost);
		usage_close(p.u);
	}
}

static void test_retention(void)
{
	TEST_CASE("retention deletes minutes older than it, at once and at open") {
		__s64 now = time(NULL);
		struct usage_rec old = rec("bot", "acme", "t", USAGE_DENIED, "tool_denied",
					   now - 10 * 86400);
		struct usage_rec older = rec("bot", "acme", "t", USAGE_ALLOWED, "",
					     now - 40 * 86400);
		struct usage_rec recent = rec("bot", "acme", "t", USAGE_ALLOWED, "", now);
		struct usage_db *u;

		fresh();
		u = open_ledger(64, 90);
		if (!u)
			continue;	/* ends the case, reported */
		usage_note(u, &old);
		usage_note(u, &older);
		usage_note(u, &recent);
		CHECK(!usage_flush(u), "flush");
		CHECK(scalar("SELECT count(*) FROM usage") == 3, "all kept under 90 days");
		usage_set_retention(u, 30);
		CHECK(!usage_flush(u), "flush");
		CHECK(scalar("SELECT count(*) FROM usage") == 2, "40 days old gone under 30: %lld",
		      scalar("SELECT count(*) FROM usage"));
		usage_close(u);
		u = open_ledger(64, 5);
		if (!u)
			continue;	/* ends the case, reported */
		CHECK(scalar("SELECT count(*) FROM usage") == 1 &&
		      scalar("SELECT count(*) FROM denials") == 0, "open with 5 days keeps today");
		usage_close(u);
	}
}

static void test_wal_and_readers(void)
{
	TEST_CASE("WAL mode, and a reader while the writer runs") {
		struct producer p = { .n = 3000 };
		struct usage_report r;
		pthread_t t;
		char why[256];
		int reads = 0, err = 0;

		fresh();
		p.u = open_ledger(65536, 90);
		if (!p.u)
			continue;	/* ends the case, reported */
		CHECK(scalar("PRAGMA journal_mode") != -1, "readable");
		{
			sqlite3 *db = NULL;
			sqlite3_stmt *st = NULL;
			const unsigned char *mode = NULL;

			sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
			sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
			if (sqlite3_step(st) == SQLITE_ROW)
				mode = sqlite3_column_text(st, 0);
			CHECK(mode && !strcmp((const char *)mode, "wal"), "journal_mode %s",
			      mode ? (const char *)mode : "?");
			sqlite3_finalize(st);
			sqlite3_close(db);
		}
		pthread_create(&t, NULL, produce, &p);
		for (int i = 0; i < 20 && !err; i++, reads++) {
			err = usage_read(path, USAGE_BY_AGENT, 0, false, &r, why, sizeof(why));
			usage_report_free(&r);
			usleep(20000);
		}
		pthread_join(t, NULL);
		CHECK(!err, "read %d while writing: %s", reads, why);
		CHECK(!usage_flush(p.u), "flush");
		err = usage_read(path, USAGE_BY_AGENT, 0, false, &r, why, sizeof(why));
		CHECK(!err && r.n == 1 && r.total.calls == 3000, "then all 3000: %s", why);
		usage_report_free(&r);
		usage_close(p.u);
	}
	TEST_CASE("reading: no file is -ENOENT, another file a clear error") {
		struct usage_report r;
		char why[256] = "";
		FILE *f;

		fresh();
		CHECK(usage_read(path, USAGE_BY_AGENT, 0, false, &r, why, sizeof(why)) == -ENOENT,
		      "no file");
		f = fopen(path, "w");
		if (f) {
			fputs("not a database at all, just some text that is long enough\n", f);
			fclose(f);
		}
		CHECK(usage_read(path, USAGE_BY_AGENT, 0, false, &r, why, sizeof(why)) == -EIO &&
		      strstr(why, "not a database"), "why: %s", why);
		CHECK(usage_by_parse("tool") == USAGE_BY_TOOL && usage_by_parse("agents") == -1,
		      "--by words");
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/usage.db", dir);
	test_aggregate();
	test_flush_and_close();
	test_overflow();
	test_retention();
	test_wal_and_readers();
	fresh();
	rmdir(dir);
	return test_finish();
}

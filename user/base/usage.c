// SPDX-License-Identifier: GPL-2.0-only
/*
 * usage.c - the ledger's writing side (see usage.h): the ring the request
 * path feeds, the writer thread that adds records up and commits them, and
 * retention.  Every statement is prepared once, with bound parameters.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "log.h"
#include "usage.h"

#define AGG_BUCKETS	4096		/* keys a second, typically far fewer */
#define RETENTION_EVERY_S 3600		/* retention runs hourly (and at open) */
#define BUSY_TIMEOUT_MS	5000		/* a reader's checkpoint may hold the file */

/* Vyukov's bounded queue: a slot is free for position p when seq == p and
 * holds p's record when seq == p + 1; many producers, the writer consumes. */
struct usage_slot {
	_Atomic size_t seq;
	struct usage_rec rec;
};

/* One key's sums while they wait for the commit. */
struct agg {
	struct agg *next;
	__s64 minute;
	struct usage_rec key;		/* agent, customer, tool, reason */
	struct usage_sum sum;
	__u64 reason_count;		/* the denials of key.reason */
};

struct usage_db {
	sqlite3 *db;
	sqlite3_stmt *up_usage, *up_denial, *add_lost, *del_usage, *del_denials;
	struct usage_slot *ring;
	size_t mask;
	_Atomic size_t tail;		/* producers */
	_Atomic size_t head;		/* the writer's (atomic: usage_queued() reads it) */
	_Atomic __u64 lost;
	__u64 lost_committed;		/* the writer's: part of lost already in meta */
	_Atomic unsigned int retention_days;
	struct agg *buckets[AGG_BUCKETS];
	size_t n_agg;
	pthread_t writer;
	pthread_mutex_t mu;
	pthread_cond_t wake, done;
	bool stop;
	__u64 flush_wanted, flush_done;	/* tickets, under mu */
	int flush_err;			/* the last commit's, under mu */
	time_t next_retention;
};

/* synchronous=NORMAL: in WAL mode a crash of the process loses no commit;
 * a power cut may lose the last ones, which a ledger can afford for not
 * syncing every second. */
static const char schema_sql[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS usage ("
	" minute INTEGER NOT NULL, agent TEXT NOT NULL, customer TEXT NOT NULL,"
	" tool TEXT NOT NULL, calls INTEGER NOT NULL DEFAULT 0,"
	" denied INTEGER NOT NULL DEFAULT 0, limited INTEGER NOT NULL DEFAULT 0,"
	" cost REAL NOT NULL DEFAULT 0, req_bytes INTEGER NOT NULL DEFAULT 0,"
	" resp_bytes INTEGER NOT NULL DEFAULT 0, upsell INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (minute, agent, customer, tool)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS denials ("
	" minute INTEGER NOT NULL, agent TEXT NOT NULL, customer TEXT NOT NULL,"
	" tool TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL,"
	" PRIMARY KEY (minute, agent, customer, tool, reason)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO meta VALUES ('schema_version', 1), ('lost_records', 0);";

static const char up_usage_sql[] =
	"INSERT INTO usage VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	" ON CONFLICT DO UPDATE SET calls = calls + ?5, denied = denied + ?6,"
	" limited = limited + ?7, cost = cost + ?8, req_bytes = req_bytes + ?9,"
	" resp_bytes = resp_bytes + ?10, upsell = upsell + ?11";
static const char up_denial_sql[] =
	"INSERT INTO denials VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	" ON CONFLICT DO UPDATE SET count = count + ?6";
static const char add_lost_sql[] =
	"UPDATE meta SET value = value + ?1 WHERE key = 'lost_records'";
static const char del_usage_sql[] = "DELETE FROM usage WHERE minute < ?1";
static const char del_denials_sql[] = "DELETE FROM denials WHERE minute < ?1";

/* --- the ring ---------------------------------------------------------------------- */

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

void usage_note(struct usage_db *u, const struct usage_rec *r)
{
	size_t pos = atomic_load_explicit(&u->tail, memory_order_relaxed);
	struct usage_slot *s;

	for (;;) {
		s = &u->ring[pos & u->mask];
		size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
		intptr_t diff = (intptr_t)seq - (intptr_t)pos;

		if (diff < 0) {		/* the writer has not emptied this slot yet */
			atomic_fetch_add_explicit(&u->lost, 1, memory_order_relaxed);
			return;
		}
		if (!diff && atomic_compare_exchange_weak_explicit(&u->tail, &pos, pos + 1,
								   memory_order_relaxed,
								   memory_order_relaxed))
			break;
		if (diff)
			pos = atomic_load_explicit(&u->tail, memory_order_relaxed);
	}
	s->rec = *r;
	if (!s->rec.time_s)
		s->rec.time_s = time(NULL);
	atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
}

/* The writer's side: the next record, or false when none is published yet. */
static bool ring_take(struct usage_db *u, struct usage_rec *out)
{
	struct usage_slot *s = &u->ring[u->head & u->mask];

	if (atomic_load_explicit(&s->seq, memory_order_acquire) != u->head + 1)
		return false;
	*out = s->rec;
	atomic_store_explicit(&s->seq, u->head + u->mask + 1, memory_order_release);
	u->head++;
	return true;
}

size_t usage_queued(struct usage_db *u)
{
	size_t head = atomic_load_explicit(&u->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&u->tail, memory_order_relaxed);

	return tail > head ? tail - head : 0;
}

__u64 usage_lost(struct usage_db *u)
{
	return atomic_load_explicit(&u->lost, memory_order_relaxed);
}

/* --- adding up ---------------------------------------------------------------------- */

static size_t agg_hash(__s64 minute, const struct usage_rec *r)
{
	const char *parts[] = { r->agent, r->customer, r->tool, r->reason };
	__u64 h = 0xcbf29ce484222325ull ^ (__u64)minute;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (const char *p = parts[i]; ; p++) {
			h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
			if (!*p)
				break;
		}
	return (size_t)(h % AGG_BUCKETS);
}

static bool agg_same(const struct agg *a, __s64 minute, const struct usage_rec *r)
{
	return a->minute == minute && !strcmp(a->key.agent, r->agent) &&
	       !strcmp(a->key.customer, r->customer) && !strcmp(a->key.tool, r->tool) &&
	       !strcmp(a->key.reason, r->reason);
}

/* Denied and limited records are kept apart by reason, for the denials
 * table; usage adds all of a minute's keys up in SQL anyway. */
static void agg_add(struct usage_db *u, struct usage_rec *r)
{
	__s64 minute = r->time_s / 60;
	size_t b;
	struct agg *a;

	if (r->decision == USAGE_ALLOWED)
		r->reason[0] = '\0';
	b = agg_hash(minute, r);
	for (a = u->buckets[b]; a && !agg_same(a, minute, r); a = a->next)
		;
	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a) {
			atomic_fetch_add_explicit(&u->lost, 1, memory_order_relaxed);
			return;
		}
		a->minute = minute;
		a->key = *r;
		a->next = u->buckets[b];
		u->buckets[b] = a;
		u->n_agg++;
	}
	a->sum.calls++;
	a->sum.denied += r->decision == USAGE_DENIED;
	a->sum.limited += r->decision == USAGE_LIMITED;
	a->reason_count += r->decision != USAGE_ALLOWED;
	a->sum.cost += r->cost;
	a->sum.req_bytes += r->req_bytes;
	a->sum.resp_bytes += r->resp_bytes;
	a->sum.upsell += r->upsell;
}

static void drain(struct usage_db *u)
{
	struct usage_rec r;

	while (ring_take(u, &r))
		agg_add(u, &r);
}

static void agg_clear(struct usage_db *u)
{
	for (size_t b = 0; b < AGG_BUCKETS; b++)
		while (u->buckets[b]) {
			struct agg *a = u->buckets[b];

			u->buckets[b] = a->next;
			free(a);
		}
	u->n_agg = 0;
}

/* --- committing --------------------------------------------------------------------- */

static void bind_key(sqlite3_stmt *st, const struct agg *a)
{
	sqlite3_bind_int64(st, 1, a->minute);
	sqlite3_bind_text(st, 2, a->key.agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->key.customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->key.tool, -1, SQLITE_STATIC);
}

/* Runs a prepared statement once; SQLITE_DONE becomes 0. */
static int step_once(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

static int write_agg(struct usage_db *u, const struct agg *a)
{
	sqlite3_stmt *st = u->up_usage;
	int rc;

	bind_key(st, a);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)a->sum.calls);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)a->sum.denied);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)a->sum.limited);
	sqlite3_bind_double(st, 8, a->sum.cost);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)a->sum.req_bytes);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)a->sum.resp_bytes);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)a->sum.upsell);
	rc = step_once(st);
	if (rc || !a->reason_count)
		return rc;
	st = u->up_denial;
	bind_key(st, a);
	sqlite3_bind_text(st, 5, a->key.reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)a->reason_count);
	return step_once(st);
}

static int write_all(struct usage_db *u, __u64 lost_now)
{
	int rc = sqlite3_exec(u->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	for (size_t b = 0; !rc && b < AGG_BUCKETS; b++)
		for (const struct agg *a = u->buckets[b]; !rc && a; a = a->next)
			rc = write_agg(u, a);
	if (!rc && lost_now != u->lost_committed) {
		sqlite3_bind_int64(u->add_lost, 1, (sqlite3_int64)(lost_now - u->lost_committed));
		rc = step_once(u->add_lost);
	}
	if (!rc)
		rc = sqlite3_exec(u->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/*
 * One transaction for everything added up.  When it fails (disk full, the
 * file gone read-only) nothing of it stays: the sums are kept and tried
 * again at the next commit, and a warning says so.
 */
static int commit(struct usage_db *u)
{
	__u64 lost_now = usage_lost(u);
	int rc;

	if (!u->n_agg && lost_now == u->lost_committed)
		return 0;
	rc = write_all(u, lost_now);
	if (rc) {
		pr_warn("usage: cannot commit to the ledger (%s); %zu keys kept for the next "
			"try\n", sqlite3_errmsg(u->db), u->n_agg);
		if (!sqlite3_get_autocommit(u->db))
			sqlite3_exec(u->db, "ROLLBACK", NULL, NULL, NULL);
		return -EIO;
	}
	u->lost_committed = lost_now;
	agg_clear(u);
	return 0;
}

static int delete_before(sqlite3_stmt *st, __s64 minute)
{
	sqlite3_bind_int64(st, 1, minute);
	return step_once(st);
}

/* Deletes the minutes older than the retention; at open, then hourly. */
static void retain(struct usage_db *u, time_t now)
{
	unsigned int days = atomic_load(&u->retention_days);
	__s64 oldest = (__s64)now / 60 - (__s64)days * 1440;

	if (delete_before(u->del_usage, oldest) || delete_before(u->del_denials, oldest))
		pr_warn("usage: cannot delete rows older than %u days: %s\n", days,
			sqlite3_errmsg(u->db));
}

void usage_set_retention(struct usage_db *u, unsigned int days)
{
	atomic_store(&u->retention_days, days);
	pthread_mutex_lock(&u->mu);
	u->next_retention = 0;		/* a shorter retention applies now */
	pthread_cond_signal(&u->wake);
	pthread_mutex_unlock(&u->mu);
}

/* --- the writer ------------------------------------------------------------------------- */

static void deadline_in(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

static __s64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__s64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Drains every USAGE_DRAIN_MS, commits every USAGE_COMMIT_MS or when a
 * flush asks.  A flush's ticket is taken before its drain: every record
 * published before usage_flush() was called is in that drain.
 */
static void *writer_main(void *arg)
{
	struct usage_db *u = arg;
	__s64 next_commit = mono_ms() + USAGE_COMMIT_MS;
	struct timespec ts;
	bool stop;

	pthread_mutex_lock(&u->mu);
	do {
		__u64 ticket = u->flush_wanted;
		bool due = ticket != u->flush_done || mono_ms() >= next_commit || u->stop;
		bool retention_due = time(NULL) >= u->next_retention;
		int err = 0;

		if (retention_due)
			u->next_retention = time(NULL) + RETENTION_EVERY_S;

		stop = u->stop;
		pthread_mutex_unlock(&u->mu);
		drain(u);
		if (due) {
			err = commit(u);
			next_commit = mono_ms() + USAGE_COMMIT_MS;
		}
		if (retention_due)
			retain(u, time(NULL));
		pthread_mutex_lock(&u->mu);
		if (due) {
			u->flush_err = err;
			u->flush_done = ticket;
			pthread_cond_broadcast(&u->done);
		}
		if (u->flush_wanted == u->flush_done && !u->stop) {
			deadline_in(&ts, USAGE_DRAIN_MS);
			pthread_cond_timedwait(&u->wake, &u->mu, &ts);
		}
	} while (!stop);
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

int usage_flush(struct usage_db *u)
{
	__u64 ticket;
	int err;

	pthread_mutex_lock(&u->mu);
	ticket = ++u->flush_wanted;
	pthread_cond_signal(&u->wake);
	while (u->flush_done < ticket)
		pthread_cond_wait(&u->done, &u->mu);
	err = u->flush_err;
	pthread_mutex_unlock(&u->mu);
	return err;
}

/* --- open and close ------------------------------------------------------------------ */

static int prepare_all(struct usage_db *u)
{
	const struct {
		const char *sql;
		sqlite3_stmt **st;
	} stmts[] = {
		{ up_usage_sql, &u->up_usage },
		{ up_denial_sql, &u->up_denial },
		{ add_lost_sql, &u->add_lost },
		{ del_usage_sql, &u->del_usage },
		{ del_denials_sql, &u->del_denials },
	};

	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		if (sqlite3_prepare_v2(u->db, stmts[i].sql, -1, stmts[i].st, NULL))
			return -EIO;
	return 0;
}

static int open_file(struct usage_db *u, const char *path, char *why, size_t why_len)
{
	int rc = sqlite3_open_v2(path, &u->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL);

	if (!rc)
		rc = sqlite3_busy_timeout(u->db, BUSY_TIMEOUT_MS);
	if (!rc)
		rc = sqlite3_exec(u->db, schema_sql, NULL, NULL, NULL);
	if (!rc)
		rc = prepare_all(u);
	if (rc) {
		snprintf(why, why_len, "%s", u->db ? sqlite3_errmsg(u->db) : "out of memory");
		return -EIO;
	}
	return 0;
}

static int init_sync(struct usage_db *u)
{
	pthread_condattr_t ca;
	int err;

	pthread_mutex_init(&u->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* deadline_in()'s clock */
	pthread_cond_init(&u->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&u->done, NULL);
	err = pthread_create(&u->writer, NULL, writer_main, u);
	return -err;
}

static void free_db(struct usage_db *u)
{
	sqlite3_finalize(u->up_usage);
	sqlite3_finalize(u->up_denial);
	sqlite3_finalize(u->add_lost);
	sqlite3_finalize(u->del_usage);
	sqlite3_finalize(u->del_denials);
	sqlite3_close(u->db);
	agg_clear(u);
	free(u->ring);
	free(u);
}

int usage_open(const struct usage_opts *o, struct usage_db **out, char *why, size_t why_len)
{
	size_t cap = pow2_at_least(o->queue ? o->queue : USAGE_DEFAULT_QUEUE);
	struct usage_db *u = calloc(1, sizeof(*u));
	int err;

	if (!u || !(u->ring = calloc(cap, sizeof(*u->ring)))) {
		snprintf(why, why_len, "out of memory for a ring of %zu records", cap);
		free(u);
		return -ENOMEM;
	}
	u->mask = cap - 1;
	for (size_t i = 0; i < cap; i++)
		atomic_init(&u->ring[i].seq, i);
	u->retention_days = o->retention_days ? o->retention_days :
			    USAGE_DEFAULT_RETENTION_DAYS;
	err = open_file(u, o->path, why, why_len);
	if (!err) {
		retain(u, time(NULL));
		u->next_retention = time(NULL) + RETENTION_EVERY_S;
		err = init_sync(u);
		if (err)
			snprintf(why, why_len, "cannot start the writer: %s", strerror(-err));
	}
	if (err) {
		free_db(u);
		return err;
	}
	*out = u;
	return 0;
}

void usage_close(struct usage_db *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	u->stop = true;		/* the writer's last round drains and commits */
	pthread_cond_signal(&u->wake);
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->writer, NULL);
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->wake);
	pthread_cond_destroy(&u->done);
	free_db(u);
}

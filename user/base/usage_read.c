// SPDX-License-Identifier: GPL-2.0-only
/*
 * usage_read.c - the ledger's reading side (see usage.h): sums by agent,
 * customer or tool since a time, for sluicectl.  The file is opened
 * read-only; under WAL a reader neither waits for the writer nor stops it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "usage.h"

const char *const usage_by_names[] = { "agent", "customer", "tool", NULL };

/* One statement per grouping: a column name cannot be a bound parameter. */
#define SUMS_SQL(col) \
	"SELECT " col ", sum(calls), sum(denied), sum(limited), sum(cost), sum(req_bytes)," \
	" sum(resp_bytes), sum(upsell) FROM usage WHERE minute >= ?1" \
	" AND (?2 = 0 OR upsell > 0) GROUP BY " col " ORDER BY " col
#define REASONS_SQL(col) \
	"SELECT " col ", reason, sum(count) FROM denials WHERE minute >= ?1" \
	" GROUP BY " col ", reason ORDER BY " col ", reason"

static const char *const sums_sql[] = {
	SUMS_SQL("agent"), SUMS_SQL("customer"), SUMS_SQL("tool"),
};
static const char *const reasons_sql[] = {
	REASONS_SQL("agent"), REASONS_SQL("customer"), REASONS_SQL("tool"),
};
static const char lost_sql[] = "SELECT value FROM meta WHERE key = 'lost_records'";

int usage_by_parse(const char *word)
{
	for (int i = 0; usage_by_names[i]; i++)
		if (!strcmp(word, usage_by_names[i]))
			return i;
	return -1;
}

static void sum_add(struct usage_sum *to, const struct usage_sum *s)
{
	to->calls += s->calls;
	to->denied += s->denied;
	to->limited += s->limited;
	to->req_bytes += s->req_bytes;
	to->resp_bytes += s->resp_bytes;
	to->upsell += s->upsell;
	to->cost += s->cost;
}

static __u64 col_u64(sqlite3_stmt *st, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(st, i);

	return v > 0 ? (__u64)v : 0;
}

static int add_row(struct usage_report *r, sqlite3_stmt *st)
{
	struct usage_row *rows = realloc(r->rows, (r->n + 1) * sizeof(*rows));
	struct usage_row *row;
	const unsigned char *key = sqlite3_column_text(st, 0);

	if (!rows)
		return -ENOMEM;
	r->rows = rows;
	row = memset(&rows[r->n++], 0, sizeof(*row));
	snprintf(row->key, sizeof(row->key), "%s", key ? (const char *)key : "");
	row->sum = (struct usage_sum){
		.calls = col_u64(st, 1), .denied = col_u64(st, 2), .limited = col_u64(st, 3),
		.cost = sqlite3_column_double(st, 4), .req_bytes = col_u64(st, 5),
		.resp_bytes = col_u64(st, 6), .upsell = col_u64(st, 7),
	};
	sum_add(&r->total, &row->sum);
	return 0;
}

static struct usage_row *find_row(struct usage_report *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].key, key))
			return &r->rows[i];
	return NULL;
}

static int add_reason(struct usage_report *r, sqlite3_stmt *st)
{
	const unsigned char *key = sqlite3_column_text(st, 0);
	const unsigned char *reason = sqlite3_column_text(st, 1);
	struct usage_row *row = find_row(r, key ? (const char *)key : "");
	struct usage_reason *v;

	if (!row)
		return 0;
	v = realloc(row->reasons, (row->n_reasons + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	row->reasons = v;
	v = &v[row->n_reasons++];
	snprintf(v->reason, sizeof(v->reason), "%s", reason ? (const char *)reason : "");
	v->count = col_u64(st, 2);
	return 0;
}

/* Runs @sql with ?1 = @since_min, ?2 = @flag, handing each row to @fn. */
static int query(sqlite3 *db, const char *sql, __s64 since_min, int flag,
		 struct usage_report *r, int (*fn)(struct usage_report *, sqlite3_stmt *))
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL), err = 0;

	if (rc)
		return -EIO;
	sqlite3_bind_int64(st, 1, since_min);
	if (sqlite3_bind_parameter_count(st) > 1)
		sqlite3_bind_int(st, 2, flag);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
		err = fn(r, st);
	sqlite3_finalize(st);
	if (err)
		return err;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int read_lost(struct usage_report *r, sqlite3_stmt *st)
{
	r->lost = col_u64(st, 0);
	return 0;
}

int usage_read(const char *path, enum usage_by by, __s64 since_s, bool upsell_only,
	       struct usage_report *out, char *why, size_t why_len)
{
	__s64 since_min = since_s >= 0 ? since_s / 60 : 0;
	sqlite3 *db = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (access(path, F_OK))
		return -ENOENT;
	err = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ? -EIO : 0;
	if (!err)
		sqlite3_busy_timeout(db, 5000);
	if (!err)
		err = query(db, sums_sql[by], since_min, upsell_only, out, add_row);
	if (!err && !upsell_only)
		err = query(db, reasons_sql[by], since_min, 0, out, add_reason);
	if (!err)
		err = query(db, lost_sql, 0, 0, out, read_lost);
	if (err) {
		snprintf(why, why_len, "%s", err == -ENOMEM ? "out of memory" :
			 db ? sqlite3_errmsg(db) : "out of memory");
		usage_report_free(out);
	}
	sqlite3_close(db);
	return err;
}

void usage_report_free(struct usage_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rows[i].reasons);
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

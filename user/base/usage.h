/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * usage.h - the usage ledger: what each agent, customer and tool used, a
 * row a UTC minute, in SQLite (WAL mode), written by sluiced and read by
 * sluicectl.
 *
 * Writing stays off the request path: usage_note() copies a fixed-size
 * record into a bounded lock-free ring and returns; it never blocks, takes
 * no lock and never touches the disk.  When the ring is full the record is
 * dropped and counted (usage_lost(), and meta.lost_records in the file), so
 * a loss is never silent.  One writer thread drains the ring every
 * USAGE_DRAIN_MS, adds the records up in memory by key, and commits them
 * as one transaction a second; usage_flush() commits everything queued
 * before it was called (reload, SIGTERM).
 *
 * The file:
 *   usage(minute, agent, customer, tool, calls, denied, limited, cost,
 *         req_bytes, resp_bytes, upsell)  keyed by the first four
 *   denials(minute, agent, customer, tool, reason, count): denied calls by
 *         reason, a row per reason (reasons are open-ended, so not columns)
 *   meta(key, value): schema_version, lost_records
 * minute is the UTC epoch minute (epoch seconds / 60).  Every decided call
 * counts in calls; denied (refused by a rule) and limited (refused by a
 * rate limit) count the refused ones among them.
 */
#ifndef SL_USAGE_H
#define SL_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define USAGE_DEFAULT_PATH	"/var/lib/sluice/usage.db"
#define USAGE_DEFAULT_RETENTION_DAYS 90
#define USAGE_DEFAULT_QUEUE	16384	/* records; ~5 MiB of ring */
#define USAGE_DRAIN_MS		50	/* the ring holds this long of traffic */
#define USAGE_COMMIT_MS		1000	/* one transaction a second */

#define USAGE_NAME_MAX		64	/* agent, customer: SL_NAME_MAX */
#define USAGE_TOOL_MAX		130	/* a tool name (1..128) or a method */
#define USAGE_REASON_MAX	32

enum usage_decision {
	USAGE_ALLOWED = 0,
	USAGE_DENIED,		/* refused by a rule: reason says which */
	USAGE_LIMITED,		/* refused by a rate limit */
};

/* One decided call.  Plain fixed-size fields: the ring copies it whole. */
struct usage_rec {
	__s64 time_s;		/* UTC epoch seconds; 0: when noted */
	enum usage_decision decision;
	__u32 upsell;		/* premium arguments passed under "upsell" */
	double cost;
	__u64 req_bytes;
	__u64 resp_bytes;	/* the answer as the client got it */
	char agent[USAGE_NAME_MAX];	/* "" for nobody */
	char customer[USAGE_NAME_MAX];
	char tool[USAGE_TOOL_MAX];	/* tools/call: the tool; else the method */
	char reason[USAGE_REASON_MAX];	/* denied and limited: why */
};

struct usage_opts {
	const char *path;
	unsigned int retention_days;	/* rows older are deleted (at open, hourly) */
	unsigned int queue;		/* ring capacity, rounded up to a power of two */
};

struct usage_db;

/* Opens (creating) the file and starts the writer.  0, or -errno with @why
 * saying what failed ("unable to open database file"). */
int usage_open(const struct usage_opts *o, struct usage_db **out, char *why, size_t why_len);
/* Any thread: queues @r, or drops and counts it when the ring is full. */
void usage_note(struct usage_db *u, const struct usage_rec *r);
/* Commits everything noted before the call; 0, or -EIO when the commit failed. */
int usage_flush(struct usage_db *u);
/* Records dropped since open (ring full, or no memory to add them up). */
__u64 usage_lost(struct usage_db *u);
/* Records queued, not yet taken by the writer (any thread; a moment's view). */
size_t usage_queued(struct usage_db *u);
void usage_set_retention(struct usage_db *u, unsigned int days);
/* Flushes, stops the writer and closes the file. */
void usage_close(struct usage_db *u);

/* --- reading (sluicectl) --------------------------------------------------------- */

enum usage_by {
	USAGE_BY_AGENT = 0,
	USAGE_BY_CUSTOMER,
	USAGE_BY_TOOL,
};

struct usage_sum {
	__u64 calls, denied, limited, req_bytes, resp_bytes, upsell;
	double cost;
};

struct usage_reason {
	char reason[USAGE_REASON_MAX];
	__u64 count;
};

struct usage_row {
	char key[USAGE_TOOL_MAX];
	struct usage_sum sum;
	struct usage_reason *reasons;	/* denied, by reason */
	size_t n_reasons;
};

struct usage_report {
	struct usage_row *rows;		/* by key */
	size_t n;
	struct usage_sum total;
	__u64 lost;			/* meta.lost_records */
};

/*
 * Adds up the rows of minutes from @since_s (UTC epoch seconds) on, by
 * @by; @upsell_only keeps the minutes with upsell events.  Reads the file
 * read-only, with or without a writer running.  0; -ENOENT when there is no
 * file at @path; -EIO with @why otherwise.
 */
int usage_read(const char *path, enum usage_by by, __s64 since_s, bool upsell_only,
	       struct usage_report *out, char *why, size_t why_len);
void usage_report_free(struct usage_report *r);
/* "agent", "customer", "tool"; -1 for another word. */
int usage_by_parse(const char *word);
extern const char *const usage_by_names[];

#endif

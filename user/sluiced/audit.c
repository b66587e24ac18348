// SPDX-License-Identifier: GPL-2.0-only
/*
 * audit.c - the audit records' way out (see audit.h): formatted on the
 * request path into the spool, taken by one writer thread to journald and
 * the JSONL file.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>

#include "base/log.h"
#include "audit.h"
#include "journal.h"
#include "spool.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct spool *spool;		/* the records waiting for the writer */
	bool running, stopping, reopen;
	char *path;			/* the JSONL file; NULL: none */
	bool journald;
	pthread_t thread;
	atomic_uint_fast64_t lost;
	uint64_t lost_reported;
	bool journald_failing;		/* said once until it works again */
	size_t pending;			/* records queued by this process, not yet done */
} au = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

uint64_t audit_lost(void)
{
	return atomic_load(&au.lost);
}

bool audit_enabled(void)
{
	bool on;

	pthread_mutex_lock(&au.lock);
	on = au.running && (au.path || au.journald);
	pthread_mutex_unlock(&au.lock);
	return on;
}

size_t audit_queued(void)
{
	size_t n;

	pthread_mutex_lock(&au.lock);
	n = au.pending;
	pthread_mutex_unlock(&au.lock);
	return n;
}

static int open_sink(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/* Writes @len bytes (@lines records) whole; a failing disk loses them,
 * counted. */
static void put(int fd, const char *data, size_t len, size_t lines)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			atomic_fetch_add(&au.lost, lines);
			return;
		}
		data += n;
		len -= (size_t)n;
	}
}

/* The JSONL lines of one round, gathered so that a write carries many. */
struct jsonl_batch {
	int fd;			/* -1: no file, or it could not be opened */
	bool want;		/* the policy names a file */
	uint64_t last_seq;	/* the newest record in buf (or written) */
	char buf[256 << 10];
	size_t used, lines;
};

/* Each write is marked in the spool before and after (spool_sink_*): a
 * restart skips what the file has, and looks at the file for the rest. */
static void jsonl_put(struct jsonl_batch *b, const char *data, size_t len, size_t lines)
{
	if (b->last_seq)
		spool_sink_sending(au.spool, SPOOL_JSONL, b->last_seq);
	put(b->fd, data, len, lines);
	if (b->last_seq)
		spool_sink_done(au.spool, SPOOL_JSONL, b->last_seq);
}

static void jsonl_flush(struct jsonl_batch *b)
{
	if (b->used)
		jsonl_put(b, b->buf, b->used, b->lines);
	b->used = b->lines = 0;
}

/* One record as a line, its spool sequence number first: a record replayed
 * after a crash can be told from one already written. */
static void jsonl_add(struct jsonl_batch *b, const char *json, size_t len, uint64_t seq)
{
	char pre[40];
	int n = seq ? snprintf(pre, sizeof(pre), "{\"seq\":%llu%s", (unsigned long long)seq,
			       len > 2 ? "," : "") : snprintf(pre, sizeof(pre), "{");

	if (!b->want)
		return;
	if (b->fd < 0 || len < 2 || json[0] != '{') {	/* said at open; counted here */
		atomic_fetch_add(&au.lost, 1);
		return;
	}
	if (b->used + (size_t)n + len > sizeof(b->buf))
		jsonl_flush(b);
	if ((size_t)n + len > sizeof(b->buf)) {
		char *line = malloc((size_t)n + len);

		if (!line) {
			atomic_fetch_add(&au.lost, 1);
			return;
		}
		memcpy(line, pre, (size_t)n);
		memcpy(line + n, json + 1, len - 1);
		line[(size_t)n + len - 1] = '\n';
		b->last_seq = seq ? seq : b->last_seq;
		jsonl_put(b, line, (size_t)n + len, 1);	/* one write: one whole line */
		free(line);
		return;
	}
	b->last_seq = seq ? seq : b->last_seq;
	memcpy(b->buf + b->used, pre, (size_t)n);
	memcpy(b->buf + b->used + n, json + 1, len - 1);
	b->used += (size_t)n + len - 1;
	b->buf[b->used++] = '\n';
	b->lines++;
}

static void journald_add(bool want, const char *json, uint64_t seq)
{
	int err;

	if (!want)
		return;
	if (seq)
		spool_sink_sending(au.spool, SPOOL_JOURNALD, seq);
	err = journal_send(json, seq);
	if (seq)
		spool_sink_done(au.spool, SPOOL_JOURNALD, seq);
	if (err) {
		atomic_fetch_add(&au.lost, 1);
		if (!au.journald_failing)
			pr_warn("sluiced: audit: journald refused a record: %s\n", strerror(-err));
	}
	au.journald_failing = err != 0;
}

/* A record that never went through the spool (the loss reports). */
static void deliver_now(struct jsonl_batch *b, bool journald, const char *json)
{
	jsonl_add(b, json, strlen(json), 0);
	jsonl_flush(b);
	journald_add(journald, json, 0);
}

static void report_loss(struct jsonl_batch *b, bool journald, bool force)
{
	uint64_t lost = atomic_load(&au.lost);
	static time_t last;
	time_t now = time(NULL);
	char line[160];

	if (lost == au.lost_reported || (now == last && !force))	/* once a second */
		return;
	last = now;
	pr_warn("sluiced: audit: %llu records lost (the spool of %u bytes was full, or a sink "
		"could not be written)\n", (unsigned long long)(lost - au.lost_reported),
		AUDIT_SPOOL_BYTES);
	snprintf(line, sizeof(line), "{\"event\":\"audit_loss\",\"lost\":%llu,\"lost_total\":"
		 "%llu}", (unsigned long long)(lost - au.lost_reported), (unsigned long long)lost);
	au.lost_reported = lost;
	deliver_now(b, journald, line);
	/* what this report itself lost is reported by the next */
}

/* @n records went to the sinks (replayed ones from an earlier process
 * included: the count never goes below zero). */
static void done_upto(uint64_t at, size_t *n)
{
	pthread_mutex_lock(&au.lock);
	spool_done(au.spool, at);
	au.pending = au.pending > *n ? au.pending - *n : 0;
	if (!spool_used(au.spool))
		au.pending = 0;	/* records dropped as damaged went with the rest */
	pthread_mutex_unlock(&au.lock);
	*n = 0;
}

/*
 * What the sinks already have of the records a dead process left: per sink,
 * the spool's mark of what it had, and the record or write in flight when
 * it died, settled by looking (the file's last line, journald's entries).
 * Only the records of that process are concerned: the new ones come after.
 */
static struct {
	uint64_t jsonl;		/* the file has every record up to this one */
	uint64_t journald;	/* journald has every record up to this one */
	uint64_t journald_doubt; /* being sent at the death: there or not */
} had;

static void replay_marks(void)
{
	had.jsonl = spool_sink_done_seq(au.spool, SPOOL_JSONL);
	had.journald = spool_sink_done_seq(au.spool, SPOOL_JOURNALD);
	had.journald_doubt = spool_sink_sending_seq(au.spool, SPOOL_JOURNALD);
	if (had.journald_doubt <= had.journald)
		had.journald_doubt = 0;
}

/*
 * The file at start: a write cut by the death leaves a line without its
 * newline, which gets one (the next record must start a line); the last
 * whole line tells whether the write in flight got there: a sequence
 * number past the mark, up to the one being written, is in the file.
 */
/* Whether @line (NUL-terminated) is one whole JSON value. */
static bool whole_json(const char *line)
{
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithOpts(line, &end, true);

	cJSON_Delete(v);
	return v != NULL;
}

static void jsonl_resume(int fd, const char *path)
{
	uint64_t doubt = spool_sink_sending_seq(au.spool, SPOOL_JSONL), seq;
	static char tail[256 << 10];
	struct stat st;
	off_t from;
	ssize_t n;
	char *end, *line;
	int rfd;

	if (fd < 0 || !path || fstat(fd, &st) || !st.st_size)
		return;
	rfd = open(path, O_RDONLY | O_CLOEXEC);	/* the sink is write-only */
	if (rfd < 0) {
		pr_warn("sluiced: audit: cannot read %s back (%s): the records the last run "
			"was writing when it died are written again\n", path, strerror(errno));
		return;
	}
	from = st.st_size > (off_t)sizeof(tail) - 1 ? st.st_size - (off_t)sizeof(tail) + 1 : 0;
	n = pread(rfd, tail, sizeof(tail) - 1, from);
	close(rfd);
	if (n <= 0)
		return;
	tail[n] = '\0';
	if (tail[n - 1] != '\n') {
		pr_warn("sluiced: audit: the JSONL file ends in a line cut short (the last run "
			"died writing it); the records it held are written again after it\n");
		put(fd, "\n", 1, 0);
	}
	end = strrchr(tail, '\n');
	if (!end || doubt <= had.jsonl)
		return;
	/* The last line that is a whole record: a loss report written after
	 * the records carries no seq and says nothing of what the file has,
	 * and a line a death cut short (mended with a newline by an earlier
	 * start) is no record of what got there. */
	for (;;) {
		*end = '\0';
		line = memrchr(tail, '\n', (size_t)(end - tail));
		/* No newline before it: the line starts the file, or began
		 * before what was read (too long to be a record). */
		if (!line && from)
			return;
		line = line ? line + 1 : tail;
		if (!strncmp(line, "{\"seq\":", 7) && whole_json(line))
			break;
		if (line == tail)
			return;
		end = line - 1;
	}
	seq = strtoull(line + 7, NULL, 10);
	if (seq > had.jsonl && seq <= doubt)
		had.jsonl = seq;
}

/* Whether journald is to get record @seq, given what it had. */
static bool journald_lacks(const char *json, uint64_t seq)
{
	int r;

	if (seq <= had.journald)
		return false;
	if (seq != had.journald_doubt)
		return true;
	had.journald_doubt = 0;
	r = journal_has(json, seq);
	if (r < 0)
		pr_warn("sluiced: audit: cannot tell whether journald has record %llu, the one "
			"the last run was sending when it died (%s): sent again\n",
			(unsigned long long)seq, strerror(-r));
	return r <= 0;
}

/*
 * Takes the records in [tail, @head) to the sinks, and moves tail past each
 * chunk once the sinks have it: a death before that replays the chunk at the
 * next start, to each sink only what it lacks (see had).
 */
static void drain(struct jsonl_batch *b, bool journald, uint64_t head)
{
	uint64_t at = spool_tail(au.spool), next, seq;
	size_t len, n = 0;
	char *json;

	while (at < head) {
		next = spool_get(au.spool, at, &json, &len, &seq);
		if (!next) {	/* damaged (or out of memory): the rest goes */
			pr_warn("sluiced: audit: the spool is damaged at %llu; %llu bytes dropped\n",
				(unsigned long long)at, (unsigned long long)(head - at));
			atomic_fetch_add(&au.lost, 1);
			at = head;
			break;
		}
		if (seq > had.jsonl)
			jsonl_add(b, json, len, seq);
		journald_add(journald && journald_lacks(json, seq), json, seq);
		free(json);
		at = next;
		n++;
		if (b->used > sizeof(b->buf) / 2) {
			jsonl_flush(b);
			done_upto(at, &n);
		}
	}
	jsonl_flush(b);
	done_upto(at, &n);
}

/* Woken early only to stop, to reopen, or by a filling spool. */
static void wait_round(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 100 * 1000 * 1000;
	if (until.tv_nsec >= 1000 * 1000 * 1000) {
		until.tv_sec++;
		until.tv_nsec -= 1000 * 1000 * 1000;
	}
	while (!au.stopping && !au.reopen && spool_used(au.spool) < spool_size(au.spool) / 4)
		if (pthread_cond_timedwait(&au.wake, &au.lock, &until) == ETIMEDOUT)
			break;
}

static void reopen_file(struct jsonl_batch *b, char **path)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = *path ? open_sink(*path) : -1;
	if (*path && b->fd < 0)
		pr_warn("sluiced: audit: cannot open %s: %s\n", *path, strerror(errno));
}

static void *writer(void *arg)
{
	struct jsonl_batch *b = calloc(1, sizeof(*b));
	char *path = NULL;
	sigset_t all;

	(void)arg;
	/* Signals are the main thread's (its signalfd), whoever starts this. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&au.lock);
	if (b)
		b->fd = -1;
	for (bool first = true; b; first = false) {
		uint64_t head;
		bool reopen, stop, journald;

		if (!first)
			wait_round();
		head = spool_head(au.spool);
		reopen = first || au.reopen || (au.path && (!path || strcmp(path, au.path))) ||
			 (!au.path && path);
		au.reopen = false;
		stop = au.stopping;
		journald = au.journald;
		if (reopen) {
			free(path);
			path = au.path ? strdup(au.path) : NULL;
		}
		b->want = path != NULL;
		pthread_mutex_unlock(&au.lock);
		if (first)
			replay_marks();
		if (reopen)
			reopen_file(b, &path);
		if (first)
			jsonl_resume(b->fd, path);
		drain(b, journald, head);
		report_loss(b, journald, stop);
		pthread_mutex_lock(&au.lock);
		if (stop && spool_head(au.spool) == spool_tail(au.spool))
			break;
	}
	pthread_mutex_unlock(&au.lock);
	if (b && b->fd >= 0)
		close(b->fd);
	free(path);
	free(b);
	return NULL;
}

static int check_file(const char *path)
{
	int fd;

	if (!path)
		return 0;
	fd = open_sink(path);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The spool's directory is made; a spool that cannot be had is a warning
 * and a ring in memory instead. */
static struct spool *open_spool(const char *path)
{
	struct spool *sp = NULL;
	char why[200] = "", dir[4097], *slash;
	int err;

	if (path) {
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			mkdir(dir, 0750);
		}
		err = spool_open(&sp, path, AUDIT_SPOOL_BYTES, why, sizeof(why));
		if (!err) {
			if (spool_used(sp))
				pr_info("sluiced: audit: replaying %zu bytes of records the last run "
					"left in %s\n", spool_used(sp), path);
			return sp;
		}
		pr_warn("sluiced: audit: cannot use the spool %s (%s): records wait in memory "
			"and a crash loses them\n", path, why);
	}
	spool_open(&sp, NULL, AUDIT_SPOOL_BYTES, why, sizeof(why));
	return sp;
}

int audit_start(const struct audit_sinks *s)
{
	int err = check_file(s->jsonl);

	if (err)
		return err;
	pthread_mutex_lock(&au.lock);
	au.spool = open_spool(s->spool);
	if (!au.spool) {
		pthread_mutex_unlock(&au.lock);
		return -ENOMEM;
	}
	free(au.path);
	au.path = s->jsonl ? strdup(s->jsonl) : NULL;
	au.journald = s->journald;
	au.stopping = false;
	err = -pthread_create(&au.thread, NULL, writer, NULL);
	au.running = !err;
	if (!err)
		pthread_setname_np(au.thread, "sl-audit");
	pthread_mutex_unlock(&au.lock);
	return err;
}

int audit_set_sinks(const struct audit_sinks *s)
{
	int err = check_file(s->jsonl);

	if (err)
		return err;
	pthread_mutex_lock(&au.lock);
	free(au.path);
	au.path = s->jsonl ? strdup(s->jsonl) : NULL;
	au.journald = s->journald;
	pthread_cond_signal(&au.wake);
	pthread_mutex_unlock(&au.lock);
	return 0;
}

void audit_reopen(void)
{
	pthread_mutex_lock(&au.lock);
	au.reopen = true;
	pthread_cond_signal(&au.wake);
	pthread_mutex_unlock(&au.lock);
}

void audit_stop(void)
{
	pthread_mutex_lock(&au.lock);
	if (!au.running) {
		pthread_mutex_unlock(&au.lock);
		return;
	}
	au.stopping = true;
	pthread_cond_signal(&au.wake);
	pthread_mutex_unlock(&au.lock);
	pthread_join(au.thread, NULL);
	pthread_mutex_lock(&au.lock);
	au.running = false;
	free(au.path);
	au.path = NULL;
	spool_close(au.spool);
	au.spool = NULL;
	pthread_mutex_unlock(&au.lock);
}

/* Into the spool, or counted lost; never waits for the writer. */
static void enqueue(const char *json)
{
	bool queued = false;

	pthread_mutex_lock(&au.lock);
	if (json && au.running) {
		size_t used = spool_used(au.spool);

		queued = spool_put(au.spool, json, strlen(json));
		au.pending += queued;
		/* The writer wakes by itself every 100 ms: a signal per record
		 * would cost a context switch per request.  Only a spool
		 * passing a quarter full calls it early. */
		if (queued && used < spool_size(au.spool) / 4 &&
		    spool_used(au.spool) >= spool_size(au.spool) / 4)
			pthread_cond_signal(&au.wake);
	}
	pthread_mutex_unlock(&au.lock);
	if (!queued)
		atomic_fetch_add(&au.lost, 1);
}

void audit_line(const char *json)
{
	if (audit_enabled())
		enqueue(json);
}

/* --- a record -------------------------------------------------------------------------- */

static const char *action_name(enum decide_action a)
{
	return a == DECIDE_DENY ? "deny" : a == DECIDE_REWRITE ? "rewrite" : "allow";
}

/*
 * The record's fields are fixed-size copies, cut wherever the name was too
 * long: a cut inside a UTF-8 character would leave a line a strict reader
 * refuses (and with it, for some, the file).  Only that tail goes.
 */
static size_t whole_chars(const char *s, size_t len)
{
	size_t lead = len, need;

	while (lead > 0 && len - lead < 3 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (!lead || (unsigned char)s[lead - 1] < 0xc0)
		return len;
	lead--;
	need = (unsigned char)s[lead] >= 0xf0 ? 4 : (unsigned char)s[lead] >= 0xe0 ? 3 : 2;
	return len - lead >= need ? len : lead;
}

static void add_str(cJSON *o, const char *name, const char *value)
{
	char whole[256];
	size_t len;

	if (!value || !*value)
		return;
	len = strlen(value);
	if (len >= sizeof(whole) || whole_chars(value, len) == len) {
		cJSON_AddStringToObject(o, name, value);
		return;
	}
	snprintf(whole, sizeof(whole), "%.*s", (int)whole_chars(value, len), value);
	cJSON_AddStringToObject(o, name, whole);
}

/* "time": the record's UTC time, to the millisecond. */
static void put_time(cJSON *o)
{
	struct timespec now;
	struct tm tm;
	char at[40];

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(at + strlen(at), sizeof(at) - strlen(at), ".%03ldZ", now.tv_nsec / 1000000);
	cJSON_AddStringToObject(o, "time", at);
}

static char *format(const struct audit_rec *r)
{
	cJSON *o = cJSON_CreateObject(), *red;
	char *text, *line = NULL;

	if (!o)
		return NULL;
	put_time(o);
	cJSON_AddStringToObject(o, "event", "call");
	add_str(o, "agent", r->agent);
	add_str(o, "customer", r->customer);
	add_str(o, "plan", r->plan);
	add_str(o, "client_name", r->client_name);
	add_str(o, "client_version", r->client_version);
	add_str(o, "session", r->session);
	add_str(o, "source", r->source);
	add_str(o, "method", r->method);
	add_str(o, "target", r->target);
	if (r->arguments && (red = cJSON_Parse(r->arguments)))
		cJSON_AddItemToObject(o, "arguments", red);
	add_str(o, "arguments_sha256", r->arguments_sha256);
	if (r->arguments_omitted)
		cJSON_AddNumberToObject(o, "arguments_omitted_bytes", (double)r->arguments_omitted);
	cJSON_AddStringToObject(o, "decision", action_name(r->action));
	if (r->action == DECIDE_DENY) {
		cJSON_AddStringToObject(o, "reason", decide_reason_name(r->reason));
		cJSON_AddNumberToObject(o, "code", r->code);
	}
	add_str(o, "rule", r->rule);
	add_str(o, "backend", r->backend);
	if (r->status)
		cJSON_AddNumberToObject(o, "status", r->status);
	cJSON_AddNumberToObject(o, "latency_ms", r->latency_ms);
	cJSON_AddNumberToObject(o, "request_bytes", (double)r->request_bytes);
	cJSON_AddNumberToObject(o, "response_bytes", (double)r->response_bytes);
	cJSON_AddNumberToObject(o, "cost", r->cost);
	if (r->redactions.total || r->redactions.unreadable) {
		cJSON *counts = cJSON_AddObjectToObject(o, "redactions");

		for (size_t i = 0; counts && i < redact_n_rules(r->rules); i++)
			if (r->redactions.n[i])
				cJSON_AddNumberToObject(counts, redact_rule_name(r->rules, i),
							r->redactions.n[i]);
		if (counts && r->redactions.unreadable)
			cJSON_AddNumberToObject(counts, "(unreadable)", r->redactions.unreadable);
	}
	add_str(o, "upsell", r->upsell);
	if (r->budget_over)
		cJSON_AddTrueToObject(o, "budget_over");
	text = cJSON_PrintUnformatted(o);
	line = text ? strdup(text) : NULL;
	cJSON_free(text);
	cJSON_Delete(o);
	return line;
}

void audit_emit(struct audit_rec *r)
{
	char *line;

	if (!audit_enabled()) {
		free(r->arguments);
		r->arguments = NULL;
		return;
	}
	line = format(r);
	free(r->arguments);
	r->arguments = NULL;
	enqueue(line);
	free(line);
}

void audit_emit_event(const char *event, cJSON *fields)
{
	cJSON *o, *item;
	char *text;

	if (!audit_enabled() || !(o = cJSON_CreateObject())) {
		cJSON_Delete(fields);
		return;
	}
	put_time(o);
	cJSON_AddStringToObject(o, "event", event);
	while (fields && (item = fields->child)) {
		cJSON_DetachItemViaPointer(fields, item);
		cJSON_AddItemToObject(o, item->string, item);
	}
	cJSON_Delete(fields);
	text = cJSON_PrintUnformatted(o);
	enqueue(text);	/* NULL (out of memory) counts as a loss */
	cJSON_free(text);
	cJSON_Delete(o);
}

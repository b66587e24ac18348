// SPDX-License-Identifier: GPL-2.0-only
/*
 * audit.c - the audit records' JSONL sink (see audit.h): a bounded queue of
 * formatted lines and one writer thread.
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
#include <cjson/cJSON.h>

#include "base/log.h"
#include "audit.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	char *q[AUDIT_QUEUE];
	size_t head, n;
	size_t bytes;			/* of the lines queued */
	bool running, stopping, reopen;
	char *path;			/* NULL: no sink */
	pthread_t thread;
	atomic_uint_fast64_t lost;
	uint64_t lost_reported;
} au = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

uint64_t audit_lost(void)
{
	return atomic_load(&au.lost);
}

size_t audit_queued(void)
{
	size_t n;

	pthread_mutex_lock(&au.lock);
	n = au.n;
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

/* The lines of one wake-up in as few writes as fit in 256 KiB each: a
 * write per line would cost a system call per record. */
static void write_batch(int fd, char **lines, size_t n)
{
	static char chunk[256 << 10];
	size_t used = 0, in_chunk = 0;

	if (fd < 0)	/* the file could not be (re)opened: said once, counted here */
		atomic_fetch_add(&au.lost, n);

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);

		if (fd >= 0 && used + len > sizeof(chunk)) {
			put(fd, chunk, used, in_chunk);
			used = in_chunk = 0;
		}
		if (fd >= 0 && len > sizeof(chunk)) {
			put(fd, lines[i], len, 1);
		} else if (fd >= 0) {
			memcpy(chunk + used, lines[i], len);
			used += len;
			in_chunk++;
		}
		free(lines[i]);
	}
	if (fd >= 0 && used)
		put(fd, chunk, used, in_chunk);
}

static void report_loss(int fd, bool force)
{
	uint64_t lost = atomic_load(&au.lost);
	static time_t last;
	time_t now = time(NULL);
	char line[160];
	int n;

	if (lost == au.lost_reported || (now == last && !force))	/* once a second */
		return;
	last = now;
	pr_warn("sluiced: audit: %llu records lost (the queue of %d was full, or the file "
	       "could not be written)\n", (unsigned long long)(lost - au.lost_reported),
	       AUDIT_QUEUE);
	n = snprintf(line, sizeof(line), "{\"event\":\"audit_loss\",\"lost\":%llu,\"lost_total\":"
		     "%llu}\n", (unsigned long long)(lost - au.lost_reported),
		     (unsigned long long)lost);
	if (fd >= 0)
		put(fd, line, (size_t)n, 0);
	au.lost_reported = lost;
}

static void *writer(void *arg)
{
	char **batch = malloc(AUDIT_QUEUE * sizeof(*batch));
	char *path = NULL;
	int fd = -1;
	sigset_t all;

	(void)arg;
	/* Signals are the main thread's (its signalfd), whoever starts this. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&au.lock);
	for (;;) {
		struct timespec until;
		size_t n = 0;
		bool reopen, stop;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000 * 1000;
		if (until.tv_nsec >= 1000 * 1000 * 1000) {
			until.tv_sec++;
			until.tv_nsec -= 1000 * 1000 * 1000;
		}
		/* Woken early only to stop, to reopen, or by a filling queue. */
		while (!au.stopping && !au.reopen && au.n < AUDIT_QUEUE / 4)
			if (pthread_cond_timedwait(&au.wake, &au.lock, &until) == ETIMEDOUT)
				break;
		while (au.n && batch) {
			au.bytes -= strlen(au.q[au.head]);
			batch[n++] = au.q[au.head];
			au.head = (au.head + 1) % AUDIT_QUEUE;
			au.n--;
		}
		reopen = au.reopen || (au.path && (!path || strcmp(path, au.path))) ||
			 (!au.path && path);
		au.reopen = false;
		stop = au.stopping;
		if (reopen) {
			free(path);
			path = au.path ? strdup(au.path) : NULL;
		}
		pthread_mutex_unlock(&au.lock);
		if (reopen) {
			if (fd >= 0)
				close(fd);
			fd = path ? open_sink(path) : -1;
			if (path && fd < 0)
				pr_warn("sluiced: audit: cannot open %s: %s\n", path, strerror(errno));
		}
		write_batch(fd, batch, n);
		report_loss(fd, stop);
		pthread_mutex_lock(&au.lock);
		if (stop && !au.n)
			break;
	}
	pthread_mutex_unlock(&au.lock);
	if (fd >= 0)
		close(fd);
	free(path);
	free(batch);
	return NULL;
}

int audit_start(const char *path)
{
	int fd, err;

	if (path) {
		fd = open_sink(path);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	pthread_mutex_lock(&au.lock);
	free(au.path);
	au.path = path ? strdup(path) : NULL;
	au.stopping = false;
	err = -pthread_create(&au.thread, NULL, writer, NULL);
	au.running = !err;
	pthread_mutex_unlock(&au.lock);
	return err;
}

int audit_set_path(const char *path)
{
	int fd;

	if (path) {
		fd = open_sink(path);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	pthread_mutex_lock(&au.lock);
	free(au.path);
	au.path = path ? strdup(path) : NULL;
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
	pthread_mutex_unlock(&au.lock);
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

static char *format(const struct audit_rec *r)
{
	cJSON *o = cJSON_CreateObject(), *red;
	struct timespec now;
	struct tm tm;
	char at[40], *text, *line = NULL;

	if (!o)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(at + strlen(at), sizeof(at) - strlen(at), ".%03ldZ", now.tv_nsec / 1000000);
	cJSON_AddStringToObject(o, "time", at);
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
	if (text && (line = malloc(strlen(text) + 2)))
		sprintf(line, "%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
	return line;
}

void audit_emit(struct audit_rec *r)
{
	char *line = NULL;
	bool queued = false;

	pthread_mutex_lock(&au.lock);
	if (!au.running || !au.path) {
		pthread_mutex_unlock(&au.lock);
		free(r->arguments);
		r->arguments = NULL;
		return;
	}
	pthread_mutex_unlock(&au.lock);
	line = format(r);
	free(r->arguments);
	r->arguments = NULL;
	pthread_mutex_lock(&au.lock);
	if (line && au.n < AUDIT_QUEUE && au.bytes + strlen(line) <= AUDIT_QUEUE_BYTES) {
		au.q[(au.head + au.n) % AUDIT_QUEUE] = line;
		au.n++;
		au.bytes += strlen(line);
		queued = true;
		/* The writer wakes by itself every 100 ms: a signal per record
		 * would cost a context switch per request.  Only a filling
		 * queue calls it early. */
		if (au.n == AUDIT_QUEUE / 4)
			pthread_cond_signal(&au.wake);
	}
	pthread_mutex_unlock(&au.lock);
	if (!queued) {
		free(line);
		atomic_fetch_add(&au.lost, 1);
	}
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * journal.c - audit records into journald (see journal.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "journal.h"

#define JOURNAL_FIELDS 64	/* a record has about 30 members */

static const char *s_of(const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static double n_of(const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int journal_priority(const cJSON *rec)
{
	const char *event = s_of(rec, "event"), *priority = s_of(rec, "priority");

	/* A record may say (bans from another module, for one). */
	if (!strcmp(priority, "err"))
		return LOG_ERR;
	if (!strcmp(priority, "warning"))
		return LOG_WARNING;
	if (!strcmp(priority, "notice"))
		return LOG_NOTICE;
	if (!strcmp(event, "call"))
		return strcmp(s_of(rec, "decision"), "deny") ? LOG_INFO : LOG_NOTICE;
	if (strstr(event, "loss") || strstr(event, "lost"))
		return LOG_ERR;
	if (!strcmp(event, "ban"))
		return LOG_WARNING;
	if (!strcmp(event, "ban_lifted") || !strcmp(event, "kernel_drop_summary"))
		return LOG_NOTICE;
	return LOG_INFO;
}

static const char *who(const cJSON *rec)
{
	const char *agent = s_of(rec, "agent");

	return *agent ? agent : "(anonymous)";
}

static void call_message(const cJSON *rec, char *buf, size_t len)
{
	const char *method = s_of(rec, "method"), *decision = s_of(rec, "decision");
	const char *verb = !strcmp(method, "resources/read") ? "read" :
			   !strcmp(method, "prompts/get") ? "got prompt" : "called";
	char outcome[300];

	if (!strcmp(decision, "deny"))
		snprintf(outcome, sizeof(outcome), "denied (%s%s%s)", s_of(rec, "reason"),
			 *s_of(rec, "rule") ? ", " : "", s_of(rec, "rule"));
	else
		snprintf(outcome, sizeof(outcome), "%s", !strcmp(decision, "rewrite") ?
			 "allowed, rewritten" : "allowed");
	snprintf(buf, len, "agent %s %s %s: %s, %.1f ms, %.0f B", who(rec), verb,
		 s_of(rec, "target"), outcome, n_of(rec, "latency_ms"),
		 n_of(rec, "response_bytes"));
}

static void summary_message(const cJSON *rec, char *buf, size_t len)
{
	const char *agent = s_of(rec, "agent");

	if (!strcmp(s_of(rec, "source"), "unsampled")) {
		snprintf(buf, len, "kernel: %.0f more packet%s dropped for %s, from sources no "
			 "event named, in %.1f s", n_of(rec, "count"),
			 n_of(rec, "count") == 1 ? "" : "s", s_of(rec, "reason"),
			 n_of(rec, "period_ms") / 1000.0);
		return;
	}
	snprintf(buf, len, "kernel %s%s: %.0f packet%s from %s (%s%s%s) in %.1f s",
		 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "monitor")) ? "would-" : "",
		 s_of(rec, "verdict"),
		 n_of(rec, "count"), n_of(rec, "count") == 1 ? "" : "s", s_of(rec, "source"),
		 s_of(rec, "reason"), *agent ? ", agent " : "", agent,
		 n_of(rec, "period_ms") / 1000.0);
}

void journal_message(const cJSON *rec, char *buf, size_t len)
{
	const char *event = s_of(rec, "event");

	if (!strcmp(event, "call"))
		call_message(rec, buf, len);
	else if (!strcmp(event, "kernel_drop_summary"))
		summary_message(rec, buf, len);
	else if (!strcmp(event, "audit_loss"))
		snprintf(buf, len, "audit: %.0f records lost (the spool was full or a sink "
			 "failed), %.0f since start", n_of(rec, "lost"), n_of(rec, "lost_total"));
	else if (!strcmp(event, "kernel_events_lost"))
		snprintf(buf, len, "kernel: %.0f events lost to a full ring buffer (their "
			 "packets are counted in later summaries)", n_of(rec, "count"));
	else if (*s_of(rec, "message"))
		snprintf(buf, len, "%s", s_of(rec, "message"));
	else
		snprintf(buf, len, "%s%s%s", event, *s_of(rec, "agent") ? " agent " : "",
			 s_of(rec, "agent"));
}

int journal_field_name(const char *key, char *buf, size_t len)
{
	size_t n = strlen("SLUICE_");

	if (!*key || n + strlen(key) >= len || n + strlen(key) > 64)
		return 0;
	memcpy(buf, "SLUICE_", n);
	for (; *key; key++)
		buf[n++] = isalnum((unsigned char)*key) ? (char)toupper((unsigned char)*key) : '_';
	buf[n] = '\0';
	return 1;
}

/* One field as "NAME=value" (malloc), or NULL. */
static char *field(const char *name, const char *value)
{
	char *f = NULL;

	return asprintf(&f, "%s=%s", name, value) < 0 ? NULL : f;
}

static char *member_field(const cJSON *m)
{
	char name[80], num[64], *text = NULL, *f;

	if (!journal_field_name(m->string, name, sizeof(name)))
		return NULL;
	if (cJSON_IsString(m))
		return field(name, m->valuestring);
	if (cJSON_IsBool(m))
		return field(name, cJSON_IsTrue(m) ? "true" : "false");
	if (cJSON_IsNumber(m)) {
		snprintf(num, sizeof(num), "%.17g", m->valuedouble);
		if (m->valuedouble == (double)(long long)m->valuedouble)
			snprintf(num, sizeof(num), "%lld", (long long)m->valuedouble);
		return field(name, num);
	}
	text = cJSON_PrintUnformatted(m);
	f = text ? field(name, text) : NULL;
	cJSON_free(text);
	return f;
}

/* SLUICE_TOOL / SLUICE_URI / SLUICE_PROMPT, after the method. */
static char *target_field(const cJSON *rec)
{
	const char *method = s_of(rec, "method"), *target = s_of(rec, "target");

	if (!*target)
		return NULL;
	return field(!strcmp(method, "resources/read") ? "SLUICE_URI" :
		     !strcmp(method, "prompts/get") ? "SLUICE_PROMPT" : "SLUICE_TOOL", target);
}

static char *redacted_field(const cJSON *rec)
{
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(rec, "redactions"), *c;
	double total = 0;
	char num[32];

	if (!cJSON_IsObject(counts))
		return NULL;
	cJSON_ArrayForEach(c, counts)
		total += cJSON_IsNumber(c) ? c->valuedouble : 0;
	snprintf(num, sizeof(num), "%.0f", total);
	return field("SLUICE_REDACTED", num);
}

int journal_send(const char *json, uint64_t seq)
{
	cJSON *rec = cJSON_Parse(json), *m;
	char *fields[JOURNAL_FIELDS + 8], msg[600], num[32];
	struct iovec iov[JOURNAL_FIELDS + 8];
	size_t n = 0, k = 0;
	int err;

	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		return -EINVAL;
	}
	journal_message(rec, msg, sizeof(msg));
	fields[n++] = field("MESSAGE", msg);
	snprintf(num, sizeof(num), "%d", journal_priority(rec));
	fields[n++] = field("PRIORITY", num);
	fields[n++] = field("SYSLOG_IDENTIFIER", JOURNAL_IDENTIFIER);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)seq);
	fields[n++] = field("SLUICE_SEQ", num);
	fields[n++] = target_field(rec);
	fields[n++] = redacted_field(rec);
	cJSON_ArrayForEach(m, rec)
		if (n < JOURNAL_FIELDS + 8)
			fields[n++] = member_field(m);
	cJSON_Delete(rec);
	for (size_t i = 0; i < n; i++)
		if (fields[i])
			iov[k++] = (struct iovec){ fields[i], strlen(fields[i]) };
	err = sd_journal_sendv(iov, (int)k);
	for (size_t i = 0; i < n; i++)
		free(fields[i]);
	return err;
}

/* Whether journald holds an entry of sluiced's with these fields; -errno
 * when it cannot be read. */
static int journal_find(const char *seq_match, const char *time_match)
{
	sd_journal *j;
	int r;

	r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0)
		return r;
	r = sd_journal_add_match(j, seq_match, 0);
	if (r >= 0)
		r = sd_journal_add_match(j, "SYSLOG_IDENTIFIER=" JOURNAL_IDENTIFIER, 0);
	if (r >= 0)
		r = sd_journal_add_match(j, time_match, 0);
	if (r >= 0)
		r = sd_journal_seek_head(j);
	if (r >= 0)
		r = sd_journal_next(j);
	sd_journal_close(j);
	return r < 0 ? r : r > 0;
}

int journal_has(const char *json, uint64_t seq)
{
	cJSON *rec = cJSON_Parse(json);
	char *seq_match = NULL, *time_match = NULL;
	int r = -EINVAL;

	if (cJSON_IsObject(rec) && *s_of(rec, "time") &&
	    asprintf(&seq_match, "SLUICE_SEQ=%llu", (unsigned long long)seq) > 0 &&
	    asprintf(&time_match, "SLUICE_TIME=%s", s_of(rec, "time")) > 0) {
		/* What a dead process sent may still wait in journald's socket:
		 * a few looks over a second before saying it is not there. */
		for (int i = 0; i < 10; i++) {
			r = journal_find(seq_match, time_match);
			if (r != 0)
				break;
			usleep(100 * 1000);
		}
	}
	free(seq_match);
	free(time_match);
	cJSON_Delete(rec);
	return r;
}

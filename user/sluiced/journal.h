/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * journal.h - an audit record (the JSON object audit.c spools) as a journald
 * entry: MESSAGE in words, SYSLOG_IDENTIFIER=sluiced, a PRIORITY that fits
 * (allowed calls info, denials and kernel drops notice, bans warning, losses
 * error), and each member of the record as a SLUICE_<NAME> field
 * ("latency_ms" -> SLUICE_LATENCY_MS; objects such as the redacted arguments
 * as their JSON text).  A call's target is also SLUICE_TOOL, SLUICE_URI or
 * SLUICE_PROMPT after its method.  Called by the audit writer thread only.
 */
#ifndef SL_JOURNAL_H
#define SL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define JOURNAL_IDENTIFIER "sluiced"

/* syslog priority (LOG_ERR .. LOG_INFO) of record @rec. */
int journal_priority(const cJSON *rec);
/* MESSAGE of @rec, in words, into @buf. */
void journal_message(const cJSON *rec, char *buf, size_t len);
/* The journald field name of member @key into @buf ("SLUICE_" + upper case,
 * anything but letters and digits as '_'); false when it cannot be one. */
int journal_field_name(const char *key, char *buf, size_t len);
/* Sends record @json (spool sequence number @seq) to journald: 0 or -errno. */
int journal_send(const char *json, uint64_t seq);
/* Whether journald already holds record @json (sequence number @seq, and
 * its "time"), waiting up to a second for what a dead process had sent:
 * 1, 0, or -errno when it cannot tell (journald unreadable, no "time"). */
int journal_has(const char *json, uint64_t seq);

#endif

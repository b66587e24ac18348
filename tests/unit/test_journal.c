// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_journal.c - audit records as journald entries (user/sluiced/journal.c):
 * the priority of each kind of record, MESSAGE in words, and the SLUICE_*
 * field names made from a record's members.
 */
#include <string.h>
#include <syslog.h>
#include <cjson/cJSON.h>

#include "check.h"
#include "sluiced/journal.h"

static int prio(const char *json)
{
	cJSON *r = cJSON_Parse(json);
	int p = r ? journal_priority(r) : -1;

	cJSON_Delete(r);
	return p;
}

static const char *message(const char *json)
{
	static char buf[600];
	cJSON *r = cJSON_Parse(json);

	buf[0] = '\0';
	if (r)
		journal_message(r, buf, sizeof(buf));
	cJSON_Delete(r);
	return buf;
}

int main(int argc, char **argv)
{
	char name[80];

	(void)argc;
	test_init(argv[0]);

	TEST_CASE("priorities: allowed info, denied notice, ban warning, losses error") {
		CHECK(prio("{\"event\":\"call\",\"decision\":\"allow\"}") == LOG_INFO, "allow");
		CHECK(prio("{\"event\":\"call\",\"decision\":\"rewrite\"}") == LOG_INFO, "rewrite");
		CHECK(prio("{\"event\":\"call\",\"decision\":\"deny\",\"reason\":\"limited\"}") ==
		      LOG_NOTICE, "deny");
		CHECK(prio("{\"event\":\"kernel_drop_summary\"}") == LOG_NOTICE, "summary");
		CHECK(prio("{\"event\":\"ban\"}") == LOG_WARNING, "ban");
		CHECK(prio("{\"event\":\"ban_lifted\"}") == LOG_NOTICE, "ban_lifted");
		CHECK(prio("{\"event\":\"audit_loss\"}") == LOG_ERR, "audit_loss");
		CHECK(prio("{\"event\":\"kernel_events_lost\"}") == LOG_ERR, "ring loss");
		CHECK(prio("{\"event\":\"x\",\"priority\":\"warning\"}") == LOG_WARNING, "said");
	}

	TEST_CASE("a call's MESSAGE says who called what, the outcome, time and bytes") {
		const char *m = message("{\"event\":\"call\",\"agent\":\"gpt-analyst\",\"method\":"
					"\"tools/call\",\"target\":\"run_query\",\"decision\":\"allow\","
					"\"latency_ms\":12.34,\"response_bytes\":512}");

		CHECK(!strcmp(m, "agent gpt-analyst called run_query: allowed, 12.3 ms, 512 B"),
		      "%s", m);
		m = message("{\"event\":\"call\",\"agent\":\"a\",\"method\":\"tools/call\",\"target\":"
			    "\"t\",\"decision\":\"deny\",\"reason\":\"limited\",\"rule\":\"tools.t.limits[0]\","
			    "\"latency_ms\":0.2,\"response_bytes\":0}");
		CHECK(!strcmp(m, "agent a called t: denied (limited, tools.t.limits[0]), 0.2 ms, 0 B"),
		      "%s", m);
		m = message("{\"event\":\"call\",\"method\":\"resources/read\",\"target\":\"db://x\","
			    "\"decision\":\"allow\"}");
		CHECK(!strcmp(m, "agent (anonymous) read db://x: allowed, 0.0 ms, 0 B"), "%s", m);
	}

	TEST_CASE("a kernel summary's MESSAGE gives the count, source and reason") {
		const char *m = message("{\"event\":\"kernel_drop_summary\",\"verdict\":\"drop\","
					"\"source\":\"127.9.9.9\",\"reason\":\"deny\",\"count\":1200,"
					"\"period_ms\":1000}");

		CHECK(!strcmp(m, "kernel drop: 1200 packets from 127.9.9.9 (deny) in 1.0 s"), "%s", m);
		m = message("{\"event\":\"kernel_drop_summary\",\"source\":\"unsampled\","
			    "\"reason\":\"syn_source\",\"count\":5000,\"period_ms\":1000}");
		CHECK(!strcmp(m, "kernel: 5000 more packets dropped for syn_source, from sources no "
			      "event named, in 1.0 s"), "%s", m);
		m = message("{\"event\":\"audit_loss\",\"lost\":3,\"lost_total\":10}");
		CHECK(strstr(m, "3 records lost") && strstr(m, "10 since start"), "%s", m);
	}

	TEST_CASE("field names: SLUICE_ and the member in upper case, others as '_'") {
		CHECK(journal_field_name("latency_ms", name, sizeof(name)) &&
		      !strcmp(name, "SLUICE_LATENCY_MS"), "%s", name);
		CHECK(journal_field_name("client-name", name, sizeof(name)) &&
		      !strcmp(name, "SLUICE_CLIENT_NAME"), "%s", name);
		CHECK(!journal_field_name("", name, sizeof(name)), "empty");
		CHECK(!journal_field_name("a_member_name_that_is_far_too_long_for_a_journal_field_name_xyz",
					  name, sizeof(name)), "over 64 characters");
	}
	return test_finish();
}

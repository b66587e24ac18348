// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_audit.c - the audit writer's restart after a death mid-write
 * (user/sluiced/audit.c): a spool left with the JSONL sink's marks "done
 * up to A, writing up to B" and a file as the dead process left it.  The
 * next start writes each record the file lacks exactly once: the file's
 * last record line (not a loss report after it) tells whether the write in
 * flight got there.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sluiced/audit.h"
#include "sluiced/spool.h"

#define N_RECORDS 4

static char dir[] = "/tmp/sl-audit-XXXXXX";
static char spool_path[128], jsonl_path[128];
static uint64_t seqs[N_RECORDS];

static void record_text(char *buf, size_t len, int i)
{
	snprintf(buf, len, "{\"event\":\"call\",\"n\":%d}", i);
}

/* The line the writer makes of record @i: its seq first. */
static void record_line(char *buf, size_t len, int i)
{
	snprintf(buf, len, "{\"seq\":%llu,\"event\":\"call\",\"n\":%d}\n",
		 (unsigned long long)seqs[i], i);
}

/*
 * A dead writer's leavings: the spool holds every record, the file the
 * first @in_file of them (then @trailer, if any), and the marks say the
 * file had the first @done and was being written up to the last.
 */
static int leave(int in_file, int done, const char *trailer)
{
	char why[128], text[128];
	struct spool *s;
	uint64_t at, seq;
	size_t len;
	char *data;
	FILE *f;

	unlink(spool_path);
	if (spool_open(&s, spool_path, AUDIT_SPOOL_BYTES, why, sizeof(why)))
		return -1;
	for (int i = 0; i < N_RECORDS; i++) {
		record_text(text, sizeof(text), i);
		spool_put(s, text, strlen(text));
	}
	at = spool_tail(s);
	for (int i = 0; i < N_RECORDS; i++) {
		at = spool_get(s, at, &data, &len, &seq);
		seqs[i] = seq;
		free(data);
	}
	spool_sink_sending(s, SPOOL_JSONL, seqs[N_RECORDS - 1]);
	if (done)
		spool_sink_done(s, SPOOL_JSONL, seqs[done - 1]);
	spool_close(s);
	f = fopen(jsonl_path, "w");
	if (!f)
		return -1;
	for (int i = 0; i < in_file; i++) {
		record_line(text, sizeof(text), i);
		fputs(text, f);
	}
	if (trailer)
		fputs(trailer, f);
	return fclose(f);
}

/* How many times the file holds record @i's line. */
static int times_in_file(int i)
{
	char want[128], line[512];
	int n = 0;
	FILE *f = fopen(jsonl_path, "r");

	if (!f)
		return -1;
	record_line(want, sizeof(want), i);
	while (fgets(line, sizeof(line), f))
		n += !strcmp(line, want);
	fclose(f);
	return n;
}

/* Starts the writer on the leavings and stops it: the replay is done. */
static int restart(void)
{
	struct audit_sinks sinks = { .jsonl = jsonl_path, .spool = spool_path };
	int err = audit_start(&sinks);

	if (!err)
		audit_stop();
	return err;
}

static void check_once(const char *what)
{
	for (int i = 0; i < N_RECORDS; i++) {
		int n = times_in_file(i);

		CHECK(n == 1, "%s: record %d is in the file %d times", what, i, n);
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
	snprintf(spool_path, sizeof(spool_path), "%s/audit.spool", dir);
	snprintf(jsonl_path, sizeof(jsonl_path), "%s/audit.jsonl", dir);

	TEST_CASE("the write in flight got there: its records are not written again") {
		CHECK(!leave(N_RECORDS, 2, NULL), "cannot set up");
		CHECK(!restart(), "audit_start");
		check_once("after the restart");
	}
	TEST_CASE("a loss report after the records: the last record line still decides") {
		CHECK(!leave(N_RECORDS, 2, "{\"event\":\"audit_loss\",\"lost\":3,\"lost_total\":3}\n"),
		      "cannot set up");
		CHECK(!restart(), "audit_start");
		check_once("after the restart");
	}
	TEST_CASE("the write in flight did not get there: its records are written once") {
		CHECK(!leave(2, 2, NULL), "cannot set up");
		CHECK(!restart(), "audit_start");
		check_once("after the restart");
	}
	TEST_CASE("a line cut short gets its newline, and its records come after it") {
		CHECK(!leave(2, 2, "{\"seq\":99,\"event\":\"ca"), "cannot set up");
		CHECK(!restart(), "audit_start");
		check_once("after the restart");
	}
	/* The record in flight cut short, mended with a newline by a start
	 * that died before it wrote anything: not a record that got there. */
	TEST_CASE("a line cut short and mended earlier is not taken for the record in flight") {
		char cut[128];

		CHECK(!leave(3, 2, NULL), "cannot set up");
		record_line(cut, sizeof(cut), 3);
		cut[strlen(cut) / 2] = '\0';
		FILE *f = fopen(jsonl_path, "a");

		CHECK(f && fprintf(f, "%s\n", cut) > 0 && !fclose(f), "cannot append");
		CHECK(!restart(), "audit_start");
		check_once("after the restart");
	}
	unlink(spool_path);
	unlink(jsonl_path);
	rmdir(dir);
	return test_finish();
}

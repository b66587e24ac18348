// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_spool.c - the audit spool (user/sluiced/spool.c): records come out
 * in order with their sequence numbers, across the ring's end; a full ring
 * refuses; what a process killed by SIGKILL left is there for the next
 * open, minus what it had marked done; each sink's progress marks stay;
 * one process at a time; a damaged
 * record is caught.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "check.h"
#include "sluiced/spool.h"

static char dir[] = "/tmp/sl-spool-XXXXXX";
static char path[128];

static void record_text(char *buf, size_t len, unsigned int i)
{
	snprintf(buf, len, "{\"event\":\"call\",\"n\":%u,\"pad\":\"%.*s\"}", i, (int)(i % 97),
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

/* Reads every record from the tail; counts those equal to record_text(first + k). */
static unsigned int read_all(struct spool *s, unsigned int first, uint64_t *first_seq, bool done)
{
	uint64_t at = spool_tail(s), head = spool_head(s), seq;
	unsigned int n = 0;
	char want[200], *data;
	size_t len;

	while (at < head) {
		at = spool_get(s, at, &data, &len, &seq);
		if (!at)
			return n;
		record_text(want, sizeof(want), first + n);
		if (strcmp(data, want) || len != strlen(want)) {
			free(data);
			return n;
		}
		if (!n && first_seq)
			*first_seq = seq;
		free(data);
		n++;
	}
	if (done)
		spool_done(s, at);
	return n;
}

static unsigned int put_n(struct spool *s, unsigned int first, unsigned int n)
{
	char text[200];
	unsigned int ok = 0;

	for (unsigned int i = 0; i < n; i++) {
		record_text(text, sizeof(text), first + i);
		ok += spool_put(s, text, strlen(text));
	}
	return ok;
}

/* A child that spools @n records, marks @done of them taken, and dies by SIGKILL. */
static int killed_child(unsigned int n, unsigned int done)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		struct spool *s;
		char why[200];

		if (spool_open(&s, path, 1 << 16, why, sizeof(why)) || put_n(s, 0, n) != n)
			_exit(3);
		if (done) {
			uint64_t at = spool_tail(s), seq;
			char *data;
			size_t len;

			for (unsigned int i = 0; i < done; i++) {
				at = spool_get(s, at, &data, &len, &seq);
				free(data);
			}
			spool_done(s, at);
		}
		kill(getpid(), SIGKILL);
		_exit(4);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct spool *s = NULL, *s2 = NULL;
	char why[200] = "";
	uint64_t seq = 0;
	int err;

	(void)argc;
	test_init(argv[0]);
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/audit.spool", dir);

	TEST_CASE("records come out in order, numbered from 1, and done empties it") {
		err = spool_open(&s, NULL, 4096, why, sizeof(why));
		CHECK(!err, "open: %s", why);
		if (!err) {
			CHECK(put_n(s, 0, 10) == 10, "put");
			CHECK(read_all(s, 0, &seq, true) == 10, "records read back differ");
			CHECK(seq == 1, "first sequence %llu", (unsigned long long)seq);
			CHECK(spool_used(s) == 0, "used %zu after done", spool_used(s));
			spool_close(s);
		}
	}

	TEST_CASE("records that cross the ring's end come out whole") {
		err = spool_open(&s, NULL, 512, why, sizeof(why));
		CHECK(!err, "open: %s", why);
		for (unsigned int round = 0; !err && round < 200; round++) {
			CHECK(put_n(s, round * 3, 3) == 3, "put in round %u", round);
			CHECK(read_all(s, round * 3, NULL, true) == 3, "round %u", round);
		}
		CHECK(!err && spool_head(s) > 10 * spool_size(s), "the ring did not wrap");
		spool_close(s);
	}

	TEST_CASE("a full ring refuses a record, and takes one again once read") {
		char big[300];

		err = spool_open(&s, NULL, 1024, why, sizeof(why));
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CHECK(!err && spool_put(s, big, strlen(big)) && spool_put(s, big, strlen(big)) &&
		      spool_put(s, big, strlen(big)), "three fit");
		CHECK(!err && !spool_put(s, big, strlen(big)), "a fourth fits in 1024 bytes");
		CHECK(!err && spool_used(s) <= spool_size(s), "used %zu", spool_used(s));
		spool_done(s, spool_tail(s) + 16 + 304);
		CHECK(!err && spool_put(s, big, strlen(big)), "no room after one was taken");
		spool_close(s);
	}

	TEST_CASE("what a process killed by SIGKILL spooled is there at the next open") {
		CHECK(!killed_child(500, 0), "the child did not die by SIGKILL");
		err = spool_open(&s, path, 1 << 16, why, sizeof(why));
		CHECK(!err, "reopen: %s", why);
		CHECK(!err && read_all(s, 0, &seq, true) == 500, "not all 500 records came back");
		CHECK(seq == 1, "first sequence %llu", (unsigned long long)seq);
		spool_close(s);
		err = spool_open(&s, path, 1 << 16, why, sizeof(why));
		CHECK(!err && spool_used(s) == 0, "records marked done came back (%zu bytes)",
		      err ? 0 : spool_used(s));
		spool_close(s);
	}

	TEST_CASE("records marked done before the kill do not come back; numbers go on") {
		CHECK(!killed_child(300, 120), "the child did not die by SIGKILL");
		err = spool_open(&s, path, 1 << 16, why, sizeof(why));
		CHECK(!err && read_all(s, 120, &seq, true) == 180, "not the 180 records left");
		CHECK(seq == 501 + 120, "first sequence %llu, want %u", (unsigned long long)seq,
		      501 + 120);
		spool_close(s);
	}

	TEST_CASE("each sink's progress stays in the spool for the next open") {
		err = spool_open(&s, path, 1 << 16, why, sizeof(why));
		CHECK(!err && put_n(s, 0, 3) == 3, "put");
		uint64_t last;
		uint64_t at = spool_tail(s), q = 0;
		char *data;
		size_t len;

		while (!err && at < spool_head(s)) {
			at = spool_get(s, at, &data, &len, &q);
			free(data);
		}
		last = q;
		spool_sink_done(s, SPOOL_JSONL, last - 1);
		spool_sink_sending(s, SPOOL_JSONL, last);
		spool_sink_done(s, SPOOL_JOURNALD, last);
		spool_close(s);
		err = spool_open(&s, path, 1 << 16, why, sizeof(why));
		CHECK(!err && spool_sink_done_seq(s, SPOOL_JSONL) == last - 1 &&
		      spool_sink_sending_seq(s, SPOOL_JSONL) == last, "the file's marks");
		CHECK(!err && spool_sink_done_seq(s, SPOOL_JOURNALD) == last &&
		      spool_sink_sending_seq(s, SPOOL_JOURNALD) == last,
		      "journald's marks (done moves sending along)");
		if (!err)
			read_all(s, 0, NULL, true);
		spool_close(s);
	}

	TEST_CASE("one process at a time: a second open is refused while one holds it") {
		err = spool_open(&s, path, 1 << 16, why, sizeof(why));
		pid_t pid = fork();
		int status = 0;

		if (!pid) {
			char w[200] = "";
			int e = spool_open(&s2, path, 1 << 16, w, sizeof(w));

			_exit(e == -EWOULDBLOCK && strstr(w, "another process") ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		CHECK(!err && WIFEXITED(status) && !WEXITSTATUS(status),
		      "a second process could open it too");
		spool_close(s);
	}

	TEST_CASE("a damaged record is reported, not read past") {
		int fd;

		err = spool_open(&s, path, 1 << 16, why, sizeof(why));
		CHECK(!err && put_n(s, 0, 2) == 2, "put");
		uint64_t at = spool_tail(s);
		spool_close(s);
		fd = open(path, O_RDWR);
		CHECK(fd >= 0 && pwrite(fd, "XXXX", 4, (off_t)(4096 + at % (1 << 16))) == 4,
		      "cannot damage it");
		if (fd >= 0)
			close(fd);
		err = spool_open(&s, path, 1 << 16, why, sizeof(why));
		char *data = NULL;
		size_t len;
		CHECK(!err && spool_get(s, spool_tail(s), &data, &len, &seq) == 0 && !data,
		      "a damaged record was read");
		spool_close(s);
	}

	unlink(path);
	rmdir(dir);
	return test_finish();
}

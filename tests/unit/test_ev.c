// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_ev.c - the epoll event loop (user/ev.c): the timer heap (order,
 * cancel at the root and in the middle, re-arm from a callback, 1000 random
 * timers) and file events on pipes (readable, unwatch from a callback,
 * pause with 0 events, hang-up), ev_stop, and ev_run_due after it.
 *
 * Every case that runs the loop arms a guard timer that stops it after
 * GUARD_MS, so a broken loop fails the case instead of hanging the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "base/ev.h"

#define GUARD_MS	2000	/* longest any case may run the loop */
#define MAX_FIRED	1024

struct fired {
	int n;
	int order[MAX_FIRED];		/* tags, in firing order */
	uint64_t deadline[MAX_FIRED];	/* the timer's deadline when it fired */
	int stop_after;			/* ev_stop once this many fired; 0 never */
};

struct tagged {
	struct ev_timer t;
	struct fired *log;
	int tag;
};

static void on_tagged(struct ev_loop *loop, void *data)
{
	struct tagged *tt = data;
	struct fired *f = tt->log;

	if (f->n < MAX_FIRED) {
		f->order[f->n] = tt->tag;
		f->deadline[f->n] = tt->t.deadline_ms;
	}
	f->n++;
	if (f->stop_after && f->n == f->stop_after)
		ev_stop(loop);
}

static void tagged_arm(struct ev_loop *loop, struct tagged *tt, struct fired *log, int tag,
		       uint64_t after_ms)
{
	tt->log = log;
	tt->tag = tag;
	ev_timer_init(&tt->t, on_tagged, tt);
	ev_timer_arm(loop, &tt->t, after_ms);
}

struct guard {
	struct ev_timer t;
	bool hit;
};

static void on_guard(struct ev_loop *loop, void *data)
{
	struct guard *g = data;

	g->hit = true;
	ev_stop(loop);
}

static void guard_arm(struct ev_loop *loop, struct guard *g, uint64_t after_ms)
{
	g->hit = false;
	ev_timer_init(&g->t, on_guard, g);
	ev_timer_arm(loop, &g->t, after_ms);
}

/* --- timers ------------------------------------------------------------------ */

static void test_timer_order(void)
{
	struct ev_loop *loop = ev_loop_new(64);
	struct tagged tt[5];
	struct fired log = { .stop_after = 5 };
	struct guard g;
	static const uint64_t after[] = { 30, 10, 40, 0, 20 };
	static const int want[] = { 3, 1, 4, 0, 2 };
	int ret;

	TEST_CASE("timers fire in deadline order") {
		CHECK(loop, "ev_loop_new");
		for (int i = 0; i < 5; i++)
			tagged_arm(loop, &tt[i], &log, i, after[i]);
		guard_arm(loop, &g, GUARD_MS);
		ret = ev_run(loop);
		CHECK(ret == 0 && !g.hit, "ret %d guard %d", ret, g.hit);
		CHECK(log.n == 5, "fired %d", log.n);
		for (int i = 0; i < 5 && i < log.n; i++)
			CHECK(log.order[i] == want[i], "position %d: tag %d", i, log.order[i]);
		for (int i = 0; i < 5; i++)
			CHECK(!ev_timer_armed(&tt[i].t), "timer %d still armed", i);
		CHECK(ev_timer_armed(&g.t), "guard disarmed");
	}
	ev_loop_free(loop);
}

static void test_timer_not_early(void)
{
	struct ev_loop *loop = ev_loop_new(64);
	struct tagged tt;
	struct fired log = { .stop_after = 1 };
	struct guard g;
	uint64_t start, took;

	TEST_CASE("a timer does not fire before its time") {
		/* Deadlines count from the loop's cached clock, not from now. */
		start = ev_now_ms(loop);
		tagged_arm(loop, &tt, &log, 0, 50);
		guard_arm(loop, &g, GUARD_MS);
		ev_run(loop);
		took = ev_clock_ms() - start;
		CHECK(log.n == 1 && !g.hit, "fired %d", log.n);
		CHECK(took >= 50, "fired %llu ms after the cached clock", (unsigned long long)took);
		CHECK(ev_now_ms(loop) >= tt.t.deadline_ms, "now %llu deadline %llu",
		      (unsigned long long)ev_now_ms(loop), (unsigned long long)tt.t.deadline_ms);
	}
	ev_loop_free(loop);
}

static void test_cancel_root(void)
{
	struct ev_loop *loop = ev_loop_new(64);
	struct tagged tt[3];
	struct fired log = { .stop_after = 2 };
	struct guard g;

	TEST_CASE("cancel the heap root: the others still fire, in order") {
		tagged_arm(loop, &tt[0], &log, 0, 10);
		tagged_arm(loop, &tt[1], &log, 1, 20);
		tagged_arm(loop, &tt[2], &log, 2, 30);
		CHECK(tt[0].t.heap_index == 0, "root index %d", tt[0].t.heap_index);
		ev_timer_cancel(loop, &tt[0].t);
		CHECK(!ev_timer_armed(&tt[0].t), "cancelled timer armed");
		ev_timer_cancel(loop, &tt[0].t);	/* twice is harmless */
		guard_arm(loop, &g, GUARD_MS);
		ev_run(loop);
		CHECK(log.n == 2 && log.order[0] == 1 && log.order[1] == 2, "n %d: %d %d",
		      log.n, log.order[0], log.order[1]);
	}
	ev_loop_free(loop);
}

static void test_cancel_middle(void)
{
	struct ev_loop *loop = ev_loop_new(64);
	struct tagged tt[7];
	struct fired log = { .stop_after = 6 };
	struct guard g;
	int victim = -1;

	TEST_CASE("cancel an inner heap element: the others still fire, in order") {
		/* Armed in order, so index i holds tag i: index 1 has children 3 and 4. */
		for (int i = 0; i < 7; i++)
			tagged_arm(loop, &tt[i], &log, i, 10 + 5 * (uint64_t)i);
		for (int i = 0; i < 7; i++)
			if (tt[i].t.heap_index == 1)
				victim = i;
		CHECK(victim >= 0, "no timer at index 1");
		if (victim >= 0)
			ev_timer_cancel(loop, &tt[victim].t);
		guard_arm(loop, &g, GUARD_MS);
		ev_run(loop);
		CHECK(log.n == 6 && !g.hit, "fired %d", log.n);
		for (int i = 1; i < log.n && i < 6; i++)
			CHECK(log.deadline[i - 1] <= log.deadline[i], "out of order at %d", i);
		for (int i = 0; i < log.n && i < 6; i++)
			CHECK(log.order[i] != victim, "cancelled timer %d fired", victim);
	}
	ev_loop_free(loop);
}

static void test_cancel_last_and_rearm(void)
{
	struct ev_loop *loop = ev_loop_new(64);
	struct tagged tt[3];
	struct fired log = { .stop_after = 3 };
	struct guard g;

	TEST_CASE("cancel the last element; re-arming an armed timer moves it") {
		tagged_arm(loop, &tt[0], &log, 0, 10);
		tagged_arm(loop, &tt[1], &log, 1, 20);
		tagged_arm(loop, &tt[2], &log, 2, 30);
		ev_timer_cancel(loop, &tt[2].t);	/* the last slot */
		ev_timer_arm(loop, &tt[2].t, 5);	/* back, now first */
		ev_timer_arm(loop, &tt[0].t, 40);	/* root moved to the end */
		guard_arm(loop, &g, GUARD_MS);
		ev_run(loop);
		CHECK(log.n == 3, "fired %d", log.n);
		CHECK(log.order[0] == 2 && log.order[1] == 1 && log.order[2] == 0,
		      "order %d %d %d", log.order[0], log.order[1], log.order[2]);
	}
	ev_loop_free(loop);
}

struct rearm {
	struct ev_timer t;
	int fired;
	int times;
};

static void on_rearm(struct ev_loop *loop, void *data)
{
	struct rearm *ra = data;

	ra->fired++;
	if (ra->fired < ra->times)
		ev_timer_arm(loop, &ra->t, 1);
	else
		ev_stop(loop);
}

static void test_rearm_from_callback(void)
{
	struct ev_loop *loop = ev_loop_new(64);
	struct rearm ra = { .times = 5 };
	struct guard g;

	TEST_CASE("a timer re-armed from its own callback fires again") {
		ev_timer_init(&ra.t, on_rearm, &ra);
		CHECK(!ev_timer_armed(&ra.t), "armed after init");
		ev_timer_arm(loop, &ra.t, 1);
		CHECK(ev_timer_armed(&ra.t), "not armed");
		guard_arm(loop, &g, GUARD_MS);
		ev_run(loop);
		CHECK(ra.fired == 5 && !g.hit, "fired %d guard %d", ra.fired, g.hit);
		CHECK(!ev_timer_armed(&ra.t), "armed after the last");
	}
	ev_loop_free(loop);
}

static uint32_t rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void test_random_timers(void)
{
	enum { N = 1000, CANCELLED = 250 };
	struct ev_loop *loop = ev_loop_new(64);
	static struct tagged tt[N];
	static struct fired log;
	static bool cancelled[N];
	struct guard g;
	uint32_t seed = 0xc0ffee;
	int bad_order = -1, bad_tag = -1;

	TEST_CASE("1000 random timers (250 cancelled) fire in deadline order") {
		memset(&log, 0, sizeof(log));
		log.stop_after = N - CANCELLED;
		for (int i = 0; i < N; i++)
			tagged_arm(loop, &tt[i], &log, i, rng_next(&seed) % 60);
		for (int k = 0; k < CANCELLED;) {
			int i = (int)(rng_next(&seed) % N);

			if (cancelled[i])
				continue;
			cancelled[i] = true;
			ev_timer_cancel(loop, &tt[i].t);
			k++;
		}
		/* Some re-armed while armed: the heap must move them. */
		for (int i = 0; i < N; i += 7)
			if (!cancelled[i])
				ev_timer_arm(loop, &tt[i].t, rng_next(&seed) % 60);
		guard_arm(loop, &g, GUARD_MS);
		ev_run(loop);
		CHECK(log.n == N - CANCELLED && !g.hit, "fired %d guard %d", log.n, g.hit);
		for (int i = 1; i < log.n && i < MAX_FIRED; i++)
			if (log.deadline[i - 1] > log.deadline[i] && bad_order < 0)
				bad_order = i;
		for (int i = 0; i < log.n && i < MAX_FIRED; i++)
			if (cancelled[log.order[i]] && bad_tag < 0)
				bad_tag = log.order[i];
		CHECK(bad_order < 0, "deadline order broken at %d", bad_order);
		CHECK(bad_tag < 0, "cancelled timer %d fired", bad_tag);
	}
	ev_loop_free(loop);
}

/* --- file events ---------------------------------------------------------------- */

struct pipe_end {
	int rfd, wfd;
	int calls;
	unsigned int events;
	int other_rfd;		/* unwatched by our callback, if >= 0 */
	bool stop;		/* ev_stop from the callback */
	bool drain;
};

static void on_pipe(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct pipe_end *pe = data;
	char tmp[64];

	pe->calls++;
	pe->events |= events;
	if (pe->drain)
		while (read(fd, tmp, sizeof(tmp)) > 0)
			;
	if (pe->other_rfd >= 0)
		ev_unwatch(loop, pe->other_rfd);
	if (pe->stop)
		ev_stop(loop);
}

static int pipe_open(struct pipe_end *pe)
{
	int fds[2];

	memset(pe, 0, sizeof(*pe));
	pe->other_rfd = -1;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	pe->rfd = fds[0];
	pe->wfd = fds[1];
	return 0;
}

static void pipe_close(struct pipe_end *pe)
{
	if (pe->rfd >= 0)
		close(pe->rfd);
	if (pe->wfd >= 0)
		close(pe->wfd);
	pe->rfd = pe->wfd = -1;
}

static void test_pipe_readable(void)
{
	struct ev_loop *loop = ev_loop_new(1024);
	struct pipe_end pe;
	struct guard g;
	int ret;

	TEST_CASE("a readable pipe calls its callback with EV_READ") {
		CHECK(pipe_open(&pe) == 0, "pipe");
		pe.stop = pe.drain = true;
		ret = ev_watch(loop, pe.rfd, EV_READ, on_pipe, &pe);
		CHECK(ret == 0, "watch %d", ret);
		CHECK(write(pe.wfd, "x", 1) == 1, "write");
		guard_arm(loop, &g, GUARD_MS);
		ev_run(loop);
		CHECK(pe.calls == 1 && !g.hit, "calls %d guard %d", pe.calls, g.hit);
		CHECK(pe.events == EV_READ, "events %u", pe.events);
		ev_unwatch(loop, pe.rfd);
		pipe_close(&pe);
	}
	ev_loop_free(loop);
}

static void test_pipe_writable(void)
{
	struct ev_loop *loop = ev_loop_new(1024);
	struct pipe_end pe;
	struct guard g;

	TEST_CASE("an empty pipe's write end is EV_WRITE ready") {
		CHECK(pipe_open(&pe) == 0, "pipe");
		pe.stop = true;
		CHECK(ev_watch(loop, pe.wfd, EV_WRITE, on_pipe, &pe) == 0, "watch");
		guard_arm(loop, &g, GUARD_MS);
		ev_run(loop);
		CHECK(pe.calls == 1 && pe.events == EV_WRITE, "calls %d events %u", pe.calls,
		      pe.events);
		ev_unwatch(loop, pe.wfd);
		pipe_close(&pe);
	}
	ev_loop_free(loop);
}

static void test_unwatch_from_callback(void)
{
	struct ev_loop *loop = ev_loop_new(1024);
	struct pipe_end a, b;
	struct guard g;

	TEST_CASE("unwatch from a callback: the other fd's ready event is dropped") {
		CHECK(pipe_open(&a) == 0 && pipe_open(&b) == 0, "pipes");
		/* Whichever runs first unwatches the other; both are ready in one wait. */
		a.other_rfd = b.rfd;
		b.other_rfd = a.rfd;
		a.drain = b.drain = true;
		CHECK(ev_watch(loop, a.rfd, EV_READ, on_pipe, &a) == 0, "watch a");
		CHECK(ev_watch(loop, b.rfd, EV_READ, on_pipe, &b) == 0, "watch b");
		CHECK(write(a.wfd, "x", 1) == 1 && write(b.wfd, "y", 1) == 1, "write");
		guard_arm(loop, &g, 100);	/* the stop: nothing else ends this run */
		ev_run(loop);
		CHECK((a.calls > 0) != (b.calls > 0), "calls a %d b %d", a.calls, b.calls);
		ev_unwatch(loop, a.rfd);
		ev_unwatch(loop, b.rfd);
		pipe_close(&a);
		pipe_close(&b);
	}
	ev_loop_free(loop);
}

static void test_unwatch_self(void)
{
	struct ev_loop *loop = ev_loop_new(1024);
	struct pipe_end pe;
	struct guard g;

	TEST_CASE("a callback unwatching its own fd is not called again") {
		CHECK(pipe_open(&pe) == 0, "pipe");
		CHECK(write(pe.wfd, "x", 1) == 1, "write");
		pe.other_rfd = pe.rfd;	/* unwatch itself; data left unread */
		CHECK(ev_watch(loop, pe.rfd, EV_READ, on_pipe, &pe) == 0, "watch");
		guard_arm(loop, &g, 50);
		ev_run(loop);
		CHECK(pe.calls == 1, "calls %d", pe.calls);
		ev_unwatch(loop, pe.rfd);	/* not watched: harmless */
		pipe_close(&pe);
	}
	ev_loop_free(loop);
}

static void test_watch_zero_pauses(void)
{
	struct ev_loop *loop = ev_loop_new(1024);
	struct pipe_end pe;
	struct guard g;

	TEST_CASE("watch with 0 events pauses an fd; watching again resumes it") {
		CHECK(pipe_open(&pe) == 0, "pipe");
		CHECK(write(pe.wfd, "x", 1) == 1, "write");
		CHECK(ev_watch(loop, pe.rfd, EV_READ, on_pipe, &pe) == 0, "watch");
		CHECK(ev_watch(loop, pe.rfd, 0, on_pipe, &pe) == 0, "pause");
		guard_arm(loop, &g, 50);
		ev_run(loop);
		CHECK(pe.calls == 0 && g.hit, "called while paused: %d", pe.calls);
		pe.stop = pe.drain = true;
		CHECK(ev_watch(loop, pe.rfd, EV_READ, on_pipe, &pe) == 0, "resume");
		guard_arm(loop, &g, GUARD_MS);
		ev_run(loop);
		CHECK(pe.calls == 1 && !g.hit, "after resume: calls %d", pe.calls);
		/* Paused before ever being registered, then watched: an EPOLL_CTL_ADD. */
		ev_unwatch(loop, pe.rfd);
		CHECK(ev_watch(loop, pe.rfd, 0, on_pipe, &pe) == 0, "pause unregistered");
		CHECK(write(pe.wfd, "y", 1) == 1, "write");
		CHECK(ev_watch(loop, pe.rfd, EV_READ, on_pipe, &pe) == 0, "watch after pause");
		ev_run(loop);
		CHECK(pe.calls == 2 && !g.hit, "calls %d", pe.calls);
		ev_unwatch(loop, pe.rfd);
		pipe_close(&pe);
	}
	ev_loop_free(loop);
}

static void test_hangup_is_readable(void)
{
	struct ev_loop *loop = ev_loop_new(1024);
	struct pipe_end pe;
	struct guard g;

	TEST_CASE("a hung-up pipe reports EV_READ (and only what is watched)") {
		CHECK(pipe_open(&pe) == 0, "pipe");
		close(pe.wfd);
		pe.wfd = -1;
		pe.stop = true;
		CHECK(ev_watch(loop, pe.rfd, EV_READ, on_pipe, &pe) == 0, "watch");
		guard_arm(loop, &g, GUARD_MS);
		ev_run(loop);
		CHECK(pe.calls == 1 && pe.events == EV_READ, "calls %d events %u", pe.calls,
		      pe.events);
		ev_unwatch(loop, pe.rfd);
		pipe_close(&pe);
	}
	ev_loop_free(loop);
}

static void test_watch_errors(void)
{
	struct ev_loop *loop = ev_loop_new(16);
	struct pipe_end pe = { .rfd = -1, .wfd = -1 };
	int closed_fd;

	TEST_CASE("ev_watch: -ERANGE outside the table, -EBADF for a closed fd") {
		CHECK(ev_watch(loop, -1, EV_READ, on_pipe, &pe) == -ERANGE, "-1");
		CHECK(ev_watch(loop, 16, EV_READ, on_pipe, &pe) == -ERANGE, "max_fds");
		ev_unwatch(loop, -1);
		ev_unwatch(loop, 16);
		CHECK(pipe_open(&pe) == 0, "pipe");
		closed_fd = pe.rfd;
		pipe_close(&pe);
		ev_unwatch(loop, closed_fd);
		if (closed_fd < 16)
			CHECK(ev_watch(loop, closed_fd, EV_READ, on_pipe, &pe) == -EBADF,
			      "closed fd %d accepted", closed_fd);
	}
	ev_loop_free(loop);
}

/* --- stopping ------------------------------------------------------------------ */

static void on_stop(struct ev_loop *loop, void *data)
{
	(*(int *)data)++;
	ev_stop(loop);
}

static void test_stop(void)
{
	struct ev_loop *loop = ev_loop_new(64);
	struct ev_timer t;
	int calls = 0, ret1, ret2;
	struct guard g;

	TEST_CASE("ev_stop ends ev_run with 0; the loop can run again") {
		ev_timer_init(&t, on_stop, &calls);
		ev_timer_arm(loop, &t, 0);
		guard_arm(loop, &g, GUARD_MS);
		ret1 = ev_run(loop);
		CHECK(ret1 == 0 && calls == 1 && !g.hit, "ret %d calls %d", ret1, calls);
		ev_timer_arm(loop, &t, 1);
		ret2 = ev_run(loop);
		CHECK(ret2 == 0 && calls == 2 && !g.hit, "ret %d calls %d", ret2, calls);
		ev_stop(loop);	/* stop before run: run resets it and still runs */
		ev_timer_arm(loop, &t, 1);
		ev_run(loop);
		CHECK(calls == 3, "calls %d", calls);
	}
	ev_loop_free(loop);
}

struct chain {
	struct ev_timer t, next;
	int fired;
};

static void on_chain_next(struct ev_loop *loop, void *data)
{
	(void)loop;
	((struct chain *)data)->fired++;
}

/* A teardown free that arms another zero-delay free. */
static void on_chain(struct ev_loop *loop, void *data)
{
	struct chain *ch = data;

	ch->fired++;
	ev_timer_init(&ch->next, on_chain_next, ch);
	ev_timer_arm(loop, &ch->next, 0);
}

static void test_run_due(void)
{
	struct ev_loop *loop = ev_loop_new(64);
	struct fired log = { .stop_after = 1 };
	struct tagged stop, later;
	struct chain ch = {};

	TEST_CASE("ev_run_due runs what was armed with 0 after the loop stopped, and no more") {
		tagged_arm(loop, &stop, &log, 1, 0);
		ev_run(loop);
		ev_timer_init(&ch.t, on_chain, &ch);
		ev_timer_arm(loop, &ch.t, 0);
		tagged_arm(loop, &later, &log, 2, 50);
		ev_run_due(loop);
		CHECK(ch.fired == 2, "%d of the 2 zero-delay timers fired", ch.fired);
		CHECK(log.n == 1 && ev_timer_armed(&later.t), "a timer 50 ms ahead fired: %d",
		      log.n);
		ev_timer_cancel(loop, &later.t);
	}
	ev_loop_free(loop);
}

static void test_now_advances(void)
{
	struct ev_loop *loop = ev_loop_new(64);
	struct ev_timer t;
	int calls = 0;
	uint64_t before;

	TEST_CASE("ev_now_ms is the cached clock, advanced by each iteration") {
		before = ev_now_ms(loop);
		CHECK(before <= ev_clock_ms(), "cached clock ahead of the real one");
		ev_timer_init(&t, on_stop, &calls);
		ev_timer_arm(loop, &t, 20);
		ev_run(loop);
		CHECK(ev_now_ms(loop) >= before + 20, "now %llu before %llu",
		      (unsigned long long)ev_now_ms(loop), (unsigned long long)before);
	}
	ev_loop_free(loop);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_timer_order();
	test_timer_not_early();
	test_cancel_root();
	test_cancel_middle();
	test_cancel_last_and_rearm();
	test_rearm_from_callback();
	test_random_timers();
	test_pipe_readable();
	test_pipe_writable();
	test_unwatch_from_callback();
	test_unwatch_self();
	test_watch_zero_pauses();
	test_hangup_is_readable();
	test_watch_errors();
	test_stop();
	test_run_due();
	test_now_advances();
	return test_finish();
}

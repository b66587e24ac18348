/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kevents.h - the kernel's ring-buffer events as audit records.
 *
 * Never a record per packet: each event (a sampled drop, would-drop or RST)
 * is added to a table keyed by (source, verdict, reason, agent, interface,
 * monitor), and once a second every key seen becomes one
 * "kernel_drop_summary" record with the count of its events.  The BPF
 * limiter sends only so many events a second; what it did not send is not
 * put on any source (its per-CPU fold, .suppressed, mixes sources and
 * reasons): per drop reason, the kernel's counter (sl_stats) less the
 * events seen becomes one record with source "unsampled".  Over a run, the
 * records of a reason add up to the kernel's counter.  The ring buffer's
 * own losses (SL_STAT_EVENTS_LOST) become a "kernel_events_lost" record.
 * Everything runs on the main thread's event loop (the ring's epoll fd and
 * a one-second timer).
 *
 * Times: the BPF side stamps events with bpf_ktime_get_coarse_ns(), which is
 * CLOCK_MONOTONIC (coarse); a summary gives the first and last event in wall
 * time through an offset CLOCK_REALTIME - CLOCK_MONOTONIC sampled at each
 * flush, so a clock step is followed.
 */
#ifndef SL_KEVENTS_H
#define SL_KEVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/ev.h"
#include "kern/maps.h"

#define KEV_KEYS 1024		/* keys per period; beyond, folded into "other" */
#define KEV_PERIOD_MS 1000

struct kevents;

/* @maps may be NULL (no agent names, no ring-loss counter); @emit gets each
 * record's JSON text (audit_line() in the daemon). */
struct kevents *kevents_new(const struct sl_maps *maps, void (*emit)(const char *json));
void kevents_free(struct kevents *k);
/* The ring_buffer__new() callback; @ctx is the kevents. */
int kevents_on_event(void *ctx, void *data, size_t size);
/* The maps were pinned anew: their counters start again (the ring's losses
 * and the unsampled drops are counted from there). */
void kevents_rebase(struct kevents *k);
/* Emits the period's summaries (and the ring's losses) and starts a new period. */
void kevents_flush(struct kevents *k);
/* The same two with the kernel's per-reason counts given (the sl_stats
 * reason slots, cumulative; NULL: unknown, no "unsampled" records). */
void kevents_rebase_counts(struct kevents *k, const uint64_t counts[SL_REASON_MAX]);
void kevents_flush_counts(struct kevents *k, const uint64_t counts[SL_REASON_MAX]);
/* Flushes every KEV_PERIOD_MS on @loop. */
int kevents_start_timer(struct kevents *k, struct ev_loop *loop);
void kevents_stop_timer(struct kevents *k, struct ev_loop *loop);

/* CLOCK_REALTIME - CLOCK_MONOTONIC in ns, sampled now (the monotonic reading
 * taken as the midpoint of two around the realtime one). */
int64_t kev_clock_offset(void);
/* A CLOCK_MONOTONIC time in wall-clock ns, with offset @offset. */
uint64_t kev_wall_ns(uint64_t mono_ns, int64_t offset);
/* @wall_ns as "2026-12-03T07:01:02.345Z". */
void kev_format_time(uint64_t wall_ns, char *buf, size_t len);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_gcra.h - the token bucket, as GCRA ("theoretical arrival time").
 *
 * A bucket is one u64, its TAT: the time at which it would be full again.
 * A unit costing @cost_ns conforms when, after charging it, the TAT is at
 * most @burst_ns ahead of now:  max(TAT, now) + cost <= now + burst.
 * TAT 0 (or anything in the past) is a full bucket; TAT far in the future
 * an empty one.
 *
 * Locking: none.  Every CPU updates the same u64 with atomics, because
 * bpf_spin_lock is refused in LRU values and a lock would serialise CPUs
 * anyway.  Three steps, each cheaper than the next:
 *   1. a plain read that already shows the unit cannot conform rejects it
 *      with no atomic at all - under a flood most units end here, and the
 *      bucket's cache line stays shared instead of bouncing;
 *   2. uncontended, one cmpxchg moves the TAT from what was read to
 *      max(read, now) + cost: conforming, charged, done;
 *   3. when another CPU changed the TAT in between, fall back to the
 *      order that needs no retry loop: tat = max(tat, now) via cmpxchg,
 *      charge with an atomic add, conforming iff the result is within the
 *      burst, else take the charge back with an atomic sub (GCRA charges
 *      only conforming units).
 * In step 3 another CPU may briefly see a TAT @cost_ns too high and reject
 * a unit it could have passed: conservative, never over-admitting.
 */
#ifndef SL_GCRA_H
#define SL_GCRA_H

/* Step 3: correct under any interleaving, at the price of two atomics. */
static __always_inline bool sl_gcra_contended(__u64 *tat, __u64 now, __u64 cost_ns, __u64 limit)
{
	__u64 seen = *(volatile __u64 *)tat;

	if (seen < now)
		__sync_val_compare_and_swap(tat, seen, now);
	if (__sync_fetch_and_add(tat, cost_ns) + cost_ns <= limit)
		return true;
	__sync_fetch_and_sub(tat, cost_ns);
	return false;
}

static __always_inline bool sl_gcra(__u64 *tat, __u64 now, __u64 cost_ns, __u64 burst_ns)
{
	__u64 limit = now + burst_ns;
	/* volatile: one plain load now, not a re-read after the checks. */
	__u64 seen = *(volatile __u64 *)tat;
	__u64 start = seen > now ? seen : now;

	if (start > limit || limit - start < cost_ns)
		return false;
	if (__sync_val_compare_and_swap(tat, seen, start + cost_ns) == seen)
		return true;
	return sl_gcra_contended(tat, now, cost_ns, limit);
}

#endif /* SL_GCRA_H */

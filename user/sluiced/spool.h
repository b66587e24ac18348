/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spool.h - the audit records on their way to the sinks, in a ring that
 * outlives the process.
 *
 * The ring lives in a file mapped MAP_SHARED: a record copied into it is in
 * the page cache at once, and the kernel keeps (and later writes back) those
 * pages when the process dies, SIGKILL included.  The file is allocated
 * whole when made (posix_fallocate), so a store into the mapping never needs
 * a block: a full disk is found at start, never as a SIGBUS later.  It does
 * not survive a machine crash (nothing is msync()ed: that would be a disk
 * wait per record).
 *
 * Layout: a header page (magic, data size, head, tail, next sequence number)
 * then the data ring.  A record is {magic, length, sequence} and its bytes,
 * padded to 8.  head and tail only grow; a record is in the ring from the
 * moment head passes it until the writer moves tail past it, which it does
 * only after the sinks took it.
 *
 * Each sink's progress is kept in the header too, a record at a time:
 * the sequence number it was being handed (before the write or send) and
 * the one it has (after).  A restart skips, per sink, what that sink has,
 * so a crash repeats at most what was in flight, and the writer settles
 * even that by looking (audit.c).
 *
 * Not thread-safe: audit.c holds its lock around spool_put(), spool_head()
 * and spool_done(); spool_get() reads [tail, head) without it, a part no
 * producer writes.
 */
#ifndef SL_SPOOL_H
#define SL_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spool;

enum spool_sink { SPOOL_JSONL, SPOOL_JOURNALD, SPOOL_SINKS };

/* Opens @path (made, allocated and locked; an existing spool is kept with
 * what it holds), or with @path NULL a ring in memory only.  0, or -errno
 * with @why (another process holds it, the disk is full, ...). */
int spool_open(struct spool **out, const char *path, size_t data_bytes, char *why, size_t len);
void spool_close(struct spool *s);
bool spool_durable(const struct spool *s);	/* a file, not memory */

/* Copies one record of @len bytes in; false when it does not fit. */
bool spool_put(struct spool *s, const void *data, size_t len);
uint64_t spool_head(const struct spool *s);
uint64_t spool_tail(const struct spool *s);
/* Bytes waiting. */
size_t spool_used(const struct spool *s);
size_t spool_size(const struct spool *s);
/* The record at @at (in [tail, head)): a malloc()ed NUL-terminated copy in
 * @data, its length and sequence number; returns the next record's offset,
 * or 0 when the record is damaged (the caller drops the rest). */
uint64_t spool_get(const struct spool *s, uint64_t at, char **data, size_t *len,
		   uint64_t *seq);
/* The sinks took everything before @upto. */
void spool_done(struct spool *s, uint64_t upto);

/* Sink @k is being handed the records up to @seq / has them all. */
void spool_sink_sending(struct spool *s, enum spool_sink k, uint64_t seq);
void spool_sink_done(struct spool *s, enum spool_sink k, uint64_t seq);
uint64_t spool_sink_done_seq(const struct spool *s, enum spool_sink k);
uint64_t spool_sink_sending_seq(const struct spool *s, enum spool_sink k);

#endif

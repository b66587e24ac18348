// SPDX-License-Identifier: GPL-2.0-only
/*
 * spool.c - the audit spool: a ring in a shared file mapping (see spool.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "spool.h"

#define SPOOL_MAGIC "SLSPOOL1"
#define SPOOL_HDR 4096		/* the header page; the ring follows */
#define REC_MAGIC 0x5245434bu	/* "RECK": a record starts here */

struct spool_hdr {
	char magic[8];
	uint64_t size;		/* of the ring, a multiple of 8 */
	uint64_t head;		/* where the next record goes (grows forever) */
	uint64_t tail;		/* the first record the sinks have not taken */
	uint64_t next_seq;	/* the next record's sequence number */
	/* Per sink: every record up to sink_done is in it; up to sink_sending
	 * was being handed over (a death between the two leaves it in doubt).
	 * A spool of an earlier build has zeros here: everything replays. */
	uint64_t sink_done[SPOOL_SINKS];
	uint64_t sink_sending[SPOOL_SINKS];
};

struct rec_hdr {
	uint32_t magic;
	uint32_t len;
	uint64_t seq;
};

struct spool {
	struct spool_hdr *hdr;
	unsigned char *ring;
	size_t map_len;
	int fd;			/* -1: in memory */
};

static uint64_t pad8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* The ring as bytes: copies that run past its end go on at its start. */
static void ring_write(struct spool *s, uint64_t at, const void *src, size_t n)
{
	size_t off = at % s->hdr->size, first = n < s->hdr->size - off ? n : s->hdr->size - off;

	memcpy(s->ring + off, src, first);
	memcpy(s->ring, (const char *)src + first, n - first);
}

static void ring_read(const struct spool *s, uint64_t at, void *dst, size_t n)
{
	size_t off = at % s->hdr->size, first = n < s->hdr->size - off ? n : s->hdr->size - off;

	memcpy(dst, s->ring + off, first);
	memcpy((char *)dst + first, s->ring, n - first);
}

static bool hdr_valid(const struct spool_hdr *h, size_t map_len)
{
	return !memcmp(h->magic, SPOOL_MAGIC, 8) && h->size && h->size % 8 == 0 &&
	       h->size + SPOOL_HDR == map_len && h->tail <= h->head &&
	       h->head - h->tail <= h->size;
}

/* Sink marks past the last record are damage: they are dropped (everything
 * replays, a repeat at worst), never the records. */
static void marks_check(struct spool_hdr *h)
{
	for (int k = 0; k < SPOOL_SINKS; k++)
		if (h->sink_done[k] >= h->next_seq || h->sink_sending[k] >= h->next_seq)
			h->sink_done[k] = h->sink_sending[k] = 0;
}

/* Makes @fd @total bytes with every block allocated (a store into the
 * mapping of a hole could SIGBUS on a full disk). */
static int allocate(int fd, size_t total, char *why, size_t len)
{
	int err = posix_fallocate(fd, 0, (off_t)total);

	if (err)
		snprintf(why, len, "cannot allocate %zu bytes: %s", total, strerror(err));
	return -err;
}

static int map_file(struct spool *s, const char *path, size_t data_bytes, char *why, size_t len)
{
	struct stat st;
	size_t total = SPOOL_HDR + data_bytes;
	int err;

	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->fd < 0 || flock(s->fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		snprintf(why, len, "%s", err == -EWOULDBLOCK ? "another process holds it" :
			 strerror(-err));
		return err;
	}
	if (fstat(s->fd, &st))
		return -errno;
	/* A spool of another size (an older build) is kept as it is. */
	if (st.st_size > SPOOL_HDR && st.st_size % 8 == 0)
		total = (size_t)st.st_size;
	err = allocate(s->fd, total, why, len);
	if (err)
		return err;
	s->map_len = total;
	s->hdr = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->hdr == MAP_FAILED) {
		s->hdr = NULL;
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int spool_open(struct spool **out, const char *path, size_t data_bytes, char *why, size_t len)
{
	struct spool *s = calloc(1, sizeof(*s));
	int err = 0;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	data_bytes = pad8(data_bytes);
	if (path) {
		err = map_file(s, path, data_bytes, why, len);
	} else {
		s->map_len = SPOOL_HDR + data_bytes;
		s->hdr = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->hdr == MAP_FAILED) {
			s->hdr = NULL;
			err = -errno;
			snprintf(why, len, "mmap: %s", strerror(-err));
		}
	}
	if (err) {
		spool_close(s);
		return err;
	}
	if (!hdr_valid(s->hdr, s->map_len)) {	/* new, or damaged: begins empty */
		memset(s->hdr, 0, sizeof(*s->hdr));
		s->hdr->size = s->map_len - SPOOL_HDR;
		s->hdr->next_seq = 1;
		memcpy(s->hdr->magic, SPOOL_MAGIC, 8);
	}
	marks_check(s->hdr);
	s->ring = (unsigned char *)s->hdr + SPOOL_HDR;
	*out = s;
	return 0;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	if (s->hdr)
		munmap(s->hdr, s->map_len);
	if (s->fd >= 0)
		close(s->fd);	/* and with it the lock */
	free(s);
}

bool spool_durable(const struct spool *s)
{
	return s->fd >= 0;
}

bool spool_put(struct spool *s, const void *data, size_t len)
{
	struct rec_hdr r = { REC_MAGIC, (uint32_t)len, s->hdr->next_seq };
	uint64_t need = sizeof(r) + pad8(len);

	if (len > UINT32_MAX || s->hdr->head - s->hdr->tail + need > s->hdr->size)
		return false;
	ring_write(s, s->hdr->head, &r, sizeof(r));
	ring_write(s, s->hdr->head + sizeof(r), data, len);
	/* head moves last: a death mid-copy leaves the record out, whole. */
	__atomic_store_n(&s->hdr->head, s->hdr->head + need, __ATOMIC_RELEASE);
	s->hdr->next_seq++;
	return true;
}

uint64_t spool_head(const struct spool *s)
{
	return __atomic_load_n(&s->hdr->head, __ATOMIC_ACQUIRE);
}

uint64_t spool_tail(const struct spool *s)
{
	return s->hdr->tail;
}

size_t spool_used(const struct spool *s)
{
	return (size_t)(s->hdr->head - s->hdr->tail);
}

size_t spool_size(const struct spool *s)
{
	return (size_t)s->hdr->size;
}

uint64_t spool_get(const struct spool *s, uint64_t at, char **data, size_t *len, uint64_t *seq)
{
	struct rec_hdr r;
	uint64_t head = spool_head(s);

	*data = NULL;
	if (head - at < sizeof(r))
		return 0;
	ring_read(s, at, &r, sizeof(r));
	if (r.magic != REC_MAGIC || sizeof(r) + pad8(r.len) > head - at ||
	    !(*data = malloc((size_t)r.len + 1)))
		return 0;
	ring_read(s, at + sizeof(r), *data, r.len);
	(*data)[r.len] = '\0';
	*len = r.len;
	*seq = r.seq;
	return at + sizeof(r) + pad8(r.len);
}

void spool_done(struct spool *s, uint64_t upto)
{
	s->hdr->tail = upto;
}

void spool_sink_sending(struct spool *s, enum spool_sink k, uint64_t seq)
{
	__atomic_store_n(&s->hdr->sink_sending[k], seq, __ATOMIC_SEQ_CST);
}

void spool_sink_done(struct spool *s, enum spool_sink k, uint64_t seq)
{
	__atomic_store_n(&s->hdr->sink_done[k], seq, __ATOMIC_SEQ_CST);
	if (s->hdr->sink_sending[k] < seq)
		__atomic_store_n(&s->hdr->sink_sending[k], seq, __ATOMIC_SEQ_CST);
}

uint64_t spool_sink_done_seq(const struct spool *s, enum spool_sink k)
{
	return s->hdr->sink_done[k];
}

uint64_t spool_sink_sending_seq(const struct spool *s, enum spool_sink k)
{
	return s->hdr->sink_sending[k];
}

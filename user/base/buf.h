/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * buf.h - a growable byte buffer with a read offset, used for socket input
 * and output queues: append at the end, consume from the front.
 */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t off;	/* bytes before this are consumed */
	size_t len;	/* bytes in data, consumed ones included */
	size_t cap;
};

static inline const char *buf_head(const struct buf *b) { return b->data + b->off; }
static inline size_t buf_pending(const struct buf *b) { return b->len - b->off; }

int buf_reserve(struct buf *b, size_t more);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops @n bytes from the front; compacts when everything is consumed. */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif

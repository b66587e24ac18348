/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_mail.h - the only door between the demo backend's worker threads.
 *
 * Each worker owns one mailbox: a locked list plus an eventfd that wakes
 * its loop.  Mail names a connection by address (mailbox, fd, serial, see
 * demo_session.h); the owner checks the serial before delivering, so an fd
 * reused by a newer connection never gets an older one's mail.  What a
 * piece of mail means is the owner's business: this layer only carries it.
 */
#ifndef SL_DEMO_MAIL_H
#define SL_DEMO_MAIL_H

#include <pthread.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "demo_session.h"

enum demo_mail_kind {
	DEMO_MAIL_MESSAGES,	/* JSON-RPC posted to /message: answer on this legacy stream */
	DEMO_MAIL_RESPONSE,	/* the client's response to this connection's sampling request */
};

struct demo_mail {
	struct demo_mail *next;
	enum demo_mail_kind kind;
	int fd;
	uint64_t serial;
	cJSON *json;		/* owned */
};

struct demo_mailbox {
	int fd;			/* eventfd: mail waits, or the owner should stop */
	pthread_mutex_t lock;
	struct demo_mail *head, *tail;
};

/* On failure @mb is still safe to free. */
int demo_mailbox_init(struct demo_mailbox *mb);
/* Drops undelivered mail; only once no thread can send any more. */
void demo_mailbox_free(struct demo_mailbox *mb);
/* Wakes the owner's loop (mail, or a stop flag of the owner's). */
int demo_mailbox_wake(struct demo_mailbox *mb);
/* All waiting mail, oldest first, for the owner to deliver and free. */
struct demo_mail *demo_mailbox_take(struct demo_mailbox *mb);
/* Sends @json (taken, freed on failure) to connection @to, on any thread. */
int demo_mail_send(const struct demo_addr *to, enum demo_mail_kind kind, cJSON *json);
/* Frees one piece of mail (its JSON included), not the rest of its list. */
void demo_mail_free(struct demo_mail *mail);

#endif

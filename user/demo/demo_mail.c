// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_mail.c - worker mailboxes (see demo_mail.h).
 *
 * Sending takes the lock only to link one node; the eventfd write happens
 * outside it.  A failed wake-up loses nothing: the mail is queued all the
 * same, and the owner's next wake-up delivers it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "demo_mail.h"

int demo_mailbox_init(struct demo_mailbox *mb)
{
	memset(mb, 0, sizeof(*mb));
	pthread_mutex_init(&mb->lock, NULL);
	mb->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return mb->fd < 0 ? -errno : 0;
}

void demo_mail_free(struct demo_mail *mail)
{
	cJSON_Delete(mail->json);
	free(mail);
}

void demo_mailbox_free(struct demo_mailbox *mb)
{
	struct demo_mail *mail = demo_mailbox_take(mb);

	while (mail) {
		struct demo_mail *next = mail->next;

		demo_mail_free(mail);
		mail = next;
	}
	if (mb->fd >= 0)
		close(mb->fd);
	mb->fd = -1;
	pthread_mutex_destroy(&mb->lock);
}

int demo_mailbox_wake(struct demo_mailbox *mb)
{
	uint64_t one = 1;

	return write(mb->fd, &one, sizeof(one)) < 0 ? -errno : 0;
}

struct demo_mail *demo_mailbox_take(struct demo_mailbox *mb)
{
	struct demo_mail *list;

	pthread_mutex_lock(&mb->lock);
	list = mb->head;
	mb->head = mb->tail = NULL;
	pthread_mutex_unlock(&mb->lock);
	return list;
}

int demo_mail_send(const struct demo_addr *to, enum demo_mail_kind kind, cJSON *json)
{
	struct demo_mailbox *mb = to->mailbox;
	struct demo_mail *mail = calloc(1, sizeof(*mail));
	int err;

	if (!mail) {
		cJSON_Delete(json);
		return -ENOMEM;
	}
	mail->kind = kind;
	mail->fd = to->fd;
	mail->serial = to->serial;
	mail->json = json;
	pthread_mutex_lock(&mb->lock);
	if (mb->tail)
		mb->tail->next = mail;
	else
		mb->head = mail;
	mb->tail = mail;
	pthread_mutex_unlock(&mb->lock);
	err = demo_mailbox_wake(mb);
	return err == -EAGAIN ? 0 : err;	/* EAGAIN: the counter is full, a wake-up is due */
}

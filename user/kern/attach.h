/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * attach.h - load sluice's BPF programs onto an interface so that they
 * outlive the process: maps pinned by name under the pin directory, the XDP
 * link pinned under links/, TC filters held by the clsact qdisc and recorded
 * as pins under links/.  Each record names the interface by its network
 * namespace and index (see attach.c), so an interface is known in its own
 * namespace only, and under its present name after a rename.
 */
#ifndef SL_ATTACH_H
#define SL_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

/* TC filter handle and priority sluice owns on an interface's clsact hook. */
#define SL_TC_HANDLE	0x51	/* 'Q' for sluice: unlikely to collide */
#define SL_TC_PRIORITY	1

/*
 * Loads the programs and attaches them to @ifname: ingress by XDP (native or
 * generic) or TC, egress accounting by TC.  Attaching again replaces the
 * programs atomically (bpf_link_update / TC replace): no packet is ever
 * judged by nothing.  Switching between XDP and TC attaches the new hook
 * before removing the old; switching native <-> generic needs a detach.
 */
int sl_attach(const char *pin_dir, const char *ifname, enum pol_attach_mode mode);
/* Removes what sl_attach made on @ifname (in the caller's network namespace;
 * by the name it had, when it is gone); the last detach removes the pins. */
int sl_detach(const char *pin_dir, const char *ifname);

/* Mounts bpffs at /sys/fs/bpf when nothing is mounted there. */
int sl_ensure_bpffs(void);

struct sl_attachment {
	char ifname[32];	/* its name now; in another namespace, attached_as */
	char attached_as[32];	/* its name when attached */
	char hook[16];		/* "xdp", "tc_ingress", "tc_egress" */
	int ifindex;		/* in its network namespace */
	unsigned long long netns_ino;	/* that namespace's inode (lsns), 0 unknown */
	bool here;		/* in the caller's network namespace */
	bool gone;		/* here, but no interface has that index any more */
	bool legacy;		/* recorded by an older sluice: namespace unknown */
};

/* Lists attachments recorded under @pin_dir, of every network namespace;
 * returns the count or -errno. */
int sl_list_attachments(const char *pin_dir, struct sl_attachment *out, size_t max);

const char *sl_mode_name(enum pol_attach_mode mode);
int sl_mode_parse(const char *name, enum pol_attach_mode *mode);

#endif

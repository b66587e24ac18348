// SPDX-License-Identifier: GPL-2.0-only
/*
 * attach.c - attach and detach sluice's programs (see attach.h).
 *
 * User code touches BPF only through the generated skeleton; maps are shared
 * with every earlier attach and with sluicectl/sluiced through their pins.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "base/log.h"
#include "maps.h"
#include "sluice.skel.h"

#define BPF_FS_MAGIC_NUMBER 0xcafe4a11	/* statfs f_type of bpffs */
#define SL_BPFFS_ROOT "/sys/fs/bpf"
/* Events a CPU may send a second until a policy sets its own budget. */
#define SL_DEFAULT_EVENTS_PER_SEC 1000

static const char *const mode_names[] = {
	[POL_MODE_NATIVE] = "native",
	[POL_MODE_GENERIC] = "generic",
	[POL_MODE_TC] = "tc",
};

const char *sl_mode_name(enum pol_attach_mode mode)
{
	return mode <= POL_MODE_TC ? mode_names[mode] : "?";
}

int sl_mode_parse(const char *name, enum pol_attach_mode *mode)
{
	for (int m = POL_MODE_NATIVE; m <= POL_MODE_TC; m++) {
		if (!strcmp(name, mode_names[m])) {
			*mode = (enum pol_attach_mode)m;
			return 0;
		}
	}
	return -EINVAL;
}

/* Are we in the machine's own mount namespace?  (`ip netns exec` makes a
 * private one and remounts /sys: pins made there vanish with the command.) */
static bool initial_mount_ns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self) || stat("/proc/1/ns/mnt", &init))
		return true;	/* cannot tell: assume so */
	return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

int sl_ensure_bpffs(void)
{
	struct statfs st;
	bool private_ns = !initial_mount_ns();

	if (!statfs(SL_BPFFS_ROOT, &st) && st.f_type == BPF_FS_MAGIC_NUMBER) {
		if (private_ns)
			pr_warn("warning: this is a private mount namespace (ip netns exec?): pins "
				"made here may vanish with it; prefer nsenter --net=/run/netns/NAME\n");
		return 0;
	}
	if (private_ns) {
		pr_warn("no bpffs at %s in this mount namespace, and pins made here would vanish "
			"with it (ip netns exec remounts /sys): run sluicectl in the initial mount "
			"namespace, e.g. nsenter --net=/run/netns/NAME\n", SL_BPFFS_ROOT);
		return -ENOENT;
	}
	if (mount("bpf", SL_BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		int err = -errno;

		pr_warn("cannot mount bpffs at %s: %s\n", SL_BPFFS_ROOT, strerror(-err));
		return err;
	}
	return 0;
}

static int mkdir_p(const char *dir)
{
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static void pin_path(char *buf, size_t len, const char *pin_dir, const char *ifname,
		     const char *what)
{
	snprintf(buf, len, "%s/links/%s_%s", pin_dir, what, ifname);
}

/* --- XDP ------------------------------------------------------------------- */

static __u32 xdp_flags_of(enum pol_attach_mode mode)
{
	return mode == POL_MODE_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* The mode our pinned link runs in, from the kernel's view of the device. */
static int xdp_current_mode(int ifindex, enum pol_attach_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(ifindex, 0, &q);

	if (err)
		return err;
	if (q.attach_mode == XDP_ATTACHED_SKB)
		*mode = POL_MODE_GENERIC;
	else if (q.attach_mode == XDP_ATTACHED_DRV)
		*mode = POL_MODE_NATIVE;
	else
		return -ENOENT;
	return 0;
}

static int xdp_replace(int link_fd, int prog_fd, int ifindex, enum pol_attach_mode want,
		       const char *ifname)
{
	enum pol_attach_mode have;
	int err = xdp_current_mode(ifindex, &have);

	if (!err && have != want) {
		pr_warn("%s: sluice runs there in %s mode; detach first to switch to %s\n",
			ifname, sl_mode_name(have), sl_mode_name(want));
		return -EBUSY;
	}
	if (bpf_link_update(link_fd, prog_fd, NULL)) {
		err = -errno;
		pr_warn("%s: cannot replace the XDP program: %s\n", ifname, strerror(-err));
		return err;
	}
	return 0;
}

static int xdp_attach(const char *pin_dir, const char *ifname, int ifindex, int prog_fd,
		      enum pol_attach_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = xdp_flags_of(mode));
	char path[PATH_MAX];
	int link_fd, err = 0;

	pin_path(path, sizeof(path), pin_dir, ifname, "xdp");
	link_fd = bpf_obj_get(path);
	if (link_fd >= 0) {
		err = xdp_replace(link_fd, prog_fd, ifindex, mode, ifname);
		close(link_fd);
		return err;
	}
	link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (link_fd < 0) {
		err = -errno;
		pr_warn("%s: cannot attach XDP in %s mode: %s%s\n", ifname, sl_mode_name(mode),
			strerror(-err), err == -EBUSY || err == -EEXIST ?
			" (another XDP program is attached)" : "");
		return err;
	}
	if (bpf_obj_pin(link_fd, path)) {
		err = -errno;
		pr_warn("%s: cannot pin XDP link at %s: %s\n", ifname, path, strerror(-err));
	}
	close(link_fd);	/* the pin (or, on failure, nothing) holds the link */
	return err;
}

static int xdp_detach(const char *pin_dir, const char *ifname)
{
	char path[PATH_MAX];
	int link_fd;

	pin_path(path, sizeof(path), pin_dir, ifname, "xdp");
	link_fd = bpf_obj_get(path);
	if (link_fd < 0)
		return -errno;
	/* Detach explicitly: a reader holding the link must not keep it running. */
	bpf_link_detach(link_fd);
	close(link_fd);
	return unlink(path) ? -errno : 0;
}

/* --- TC -------------------------------------------------------------------- */

static const char *tc_dir_name(enum bpf_tc_attach_point point)
{
	return point == BPF_TC_INGRESS ? "tc_ingress" : "tc_egress";
}

/* Creates clsact unless it exists; records in a pin that we created it. */
static int tc_hook_ensure(const char *pin_dir, const char *ifname, int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	char path[PATH_MAX];
	int err = bpf_tc_hook_create(&hook);

	if (err == -EEXIST)
		return 0;
	if (err) {
		pr_warn("%s: cannot create clsact qdisc: %s\n", ifname, strerror(-err));
		return err;
	}
	pin_path(path, sizeof(path), pin_dir, ifname, "tc_clsact");
	if (bpf_obj_pin(prog_fd, path) && errno != EEXIST)
		pr_warn("%s: cannot record the clsact qdisc at %s: %s\n", ifname, path,
			strerror(errno));
	return 0;
}

static int tc_attach(const char *pin_dir, const char *ifname, int ifindex, int prog_fd,
		     enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SL_TC_HANDLE, .priority = SL_TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	char path[PATH_MAX];
	int err;

	err = tc_hook_ensure(pin_dir, ifname, ifindex, prog_fd);
	if (err)
		return err;
	/* BPF_TC_F_REPLACE swaps the filter's program in place: no gap. */
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		pr_warn("%s: cannot attach TC %s: %s\n", ifname, tc_dir_name(point), strerror(-err));
		return err;
	}
	pin_path(path, sizeof(path), pin_dir, ifname, tc_dir_name(point));
	unlink(path);	/* the previous program's record, if any */
	if (bpf_obj_pin(prog_fd, path)) {
		err = -errno;
		pr_warn("%s: cannot record TC program at %s: %s\n", ifname, path, strerror(-err));
	}
	return err;
}

static int tc_detach(const char *pin_dir, const char *ifname, int ifindex,
		     enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SL_TC_HANDLE, .priority = SL_TC_PRIORITY);
	char path[PATH_MAX];
	int err = 0;

	pin_path(path, sizeof(path), pin_dir, ifname, tc_dir_name(point));
	if (access(path, F_OK))
		return -ENOENT;
	if (ifindex)
		err = bpf_tc_detach(&hook, &opts);
	if (err && err != -ENOENT)
		pr_warn("%s: cannot detach TC %s: %s\n", ifname, tc_dir_name(point), strerror(-err));
	unlink(path);
	return err == -ENOENT ? 0 : err;
}

static void tc_hook_release(const char *pin_dir, const char *ifname, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	char path[PATH_MAX];

	pin_path(path, sizeof(path), pin_dir, ifname, "tc_clsact");
	if (access(path, F_OK))
		return;	/* the qdisc was there before us: leave it */
	if (ifindex)
		bpf_tc_hook_destroy(&hook);
	unlink(path);
}

/* --- attach / detach --------------------------------------------------------- */

static int prepare_pin_dir(const char *pin_dir)
{
	char links[PATH_MAX];
	int err = sl_ensure_bpffs();

	if (err)
		return err;
	snprintf(links, sizeof(links), "%s/links", pin_dir);
	err = mkdir_p(pin_dir);
	if (!err)
		err = mkdir_p(links);
	if (err)
		pr_warn("cannot create %s: %s\n", links, strerror(-err));
	return err;
}

/* A fresh set of maps sends events before any policy says how many. */
static int init_fresh_config(struct sluice_bpf *skel)
{
	struct sl_config cfg;
	__u32 zero = 0;
	int fd = bpf_map__fd(skel->maps.sl_config);

	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return -errno;
	if (cfg.generation || cfg.events_per_sec)
		return 0;
	cfg.events_per_sec = SL_DEFAULT_EVENTS_PER_SEC;
	return bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

static struct sluice_bpf *load_programs(const char *pin_dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	struct sluice_bpf *skel = sluice_bpf__open_opts(&opts);
	int err;

	if (!skel) {
		pr_warn("cannot open the BPF object: %s\n", strerror(errno));
		return NULL;
	}
	err = sluice_bpf__load(skel);
	if (!err)
		err = init_fresh_config(skel);
	if (err) {
		pr_warn("cannot load the BPF programs: %s\n", strerror(-err));
		sluice_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* Installs the ingress hook of @mode, then removes the other kind if present. */
static int attach_ingress(const char *pin_dir, const char *ifname, int ifindex,
			  struct sluice_bpf *skel, enum pol_attach_mode mode)
{
	int err;

	if (mode == POL_MODE_TC) {
		err = tc_attach(pin_dir, ifname, ifindex,
				bpf_program__fd(skel->progs.sluice_tc_ingress), BPF_TC_INGRESS);
		if (!err && xdp_detach(pin_dir, ifname) == 0)
			pr_info("%s: moved from XDP to TC ingress\n", ifname);
		return err;
	}
	err = xdp_attach(pin_dir, ifname, ifindex, bpf_program__fd(skel->progs.sluice_xdp), mode);
	if (!err && tc_detach(pin_dir, ifname, ifindex, BPF_TC_INGRESS) == 0)
		pr_info("%s: moved from TC ingress to XDP\n", ifname);
	return err;
}

int sl_attach(const char *pin_dir, const char *ifname, enum pol_attach_mode mode)
{
	int ifindex = (int)if_nametoindex(ifname);
	struct sluice_bpf *skel;
	int err;

	if (!ifindex) {
		pr_warn("%s: no such interface\n", ifname);
		return -ENODEV;
	}
	err = prepare_pin_dir(pin_dir);
	if (err)
		return err;
	skel = load_programs(pin_dir);
	if (!skel)
		return -EINVAL;
	err = attach_ingress(pin_dir, ifname, ifindex, skel, mode);
	if (!err)
		err = tc_attach(pin_dir, ifname, ifindex,
				bpf_program__fd(skel->progs.sluice_tc_egress), BPF_TC_EGRESS);
	/* Pins and the qdisc hold what is attached; our fds may go. */
	sluice_bpf__destroy(skel);
	return err;
}

static bool links_left(const char *pin_dir)
{
	char links[PATH_MAX];
	struct dirent *de;
	bool any = false;
	DIR *d;

	snprintf(links, sizeof(links), "%s/links", pin_dir);
	d = opendir(links);
	if (!d)
		return false;
	while (!any && (de = readdir(d)))
		any = de->d_name[0] != '.';
	closedir(d);
	return any;
}

static const char *const pinned_maps[] = {
	SL_MAP_CONFIG, SL_MAP_EXACT_V4, SL_MAP_EXACT_V6, SL_MAP_EXACT_FILTER,
	SL_MAP_SRC_V4, SL_MAP_SRC_V6, SL_MAP_SRC_LPM_V4, SL_MAP_SRC_LPM_V6,
	SL_MAP_CONN_TAGS_V4, SL_MAP_CONN_TAGS_V6,
	SL_MAP_AGENTS, SL_MAP_AGENT_STATE, SL_MAP_AGENT_STATS, SL_MAP_SYN_SRC_V4,
	SL_MAP_SYN_SRC_V6, SL_MAP_STATS, SL_MAP_EVLIMIT, SL_MAP_EVENTS,
};

/* The last detach takes the maps and directories with it. */
static void remove_pins(const char *pin_dir)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned_maps[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/links", pin_dir);
	rmdir(path);
	if (rmdir(pin_dir) && errno != ENOENT)
		pr_warn("%s left behind: %s\n", pin_dir, strerror(errno));
}

int sl_detach(const char *pin_dir, const char *ifname)
{
	int ifindex = (int)if_nametoindex(ifname);	/* 0: gone, unpin only */
	int found = 0, err;

	err = xdp_detach(pin_dir, ifname);
	found += !err;
	err = tc_detach(pin_dir, ifname, ifindex, BPF_TC_INGRESS);
	found += !err;
	err = tc_detach(pin_dir, ifname, ifindex, BPF_TC_EGRESS);
	found += !err;
	tc_hook_release(pin_dir, ifname, ifindex);
	if (!found) {
		pr_warn("%s: sluice is not attached there\n", ifname);
		return -ENOENT;
	}
	if (!links_left(pin_dir))
		remove_pins(pin_dir);
	return 0;
}

int sl_list_attachments(const char *pin_dir, struct sl_attachment *out, size_t max)
{
	static const char *const hooks[] = { "xdp_", "tc_ingress_", "tc_egress_" };
	char links[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(links, sizeof(links), "%s/links", pin_dir);
	d = opendir(links);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) && n < max) {
		for (size_t h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
			size_t plen = strlen(hooks[h]);

			if (strncmp(de->d_name, hooks[h], plen))
				continue;
			snprintf(out[n].hook, sizeof(out[n].hook), "%.*s", (int)plen - 1, hooks[h]);
			snprintf(out[n].ifname, sizeof(out[n].ifname), "%s", de->d_name + plen);
			n++;
			break;
		}
	}
	closedir(d);
	return (int)n;
}

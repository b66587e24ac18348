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
#include <sys/socket.h>
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
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71	/* Linux 5.14; older libc headers lack it */
#endif

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

/* --- records -------------------------------------------------------------- */

/*
 * Each hook sluice holds on an interface is recorded as a pin under
 * links/, named <hook>_c<netns cookie>_n<netns inode>_i<ifindex>_<ifname>.
 * The netns cookie (never reused while the machine runs) and the ifindex
 * say which interface it is: the same name in two network namespaces, or
 * an interface renamed since, is never taken for another.  The netns inode
 * is for people (lsns, /proc/PID/ns/net), the name is the one it had at
 * attach, for records of another namespace, where it cannot be looked up.
 * bpffs refuses '.' in names, so '.' and '%' of the name are %-escaped.
 */
static const char *const rec_hooks[] = { "xdp", "tc_ingress", "tc_egress", "tc_clsact" };

/* An interface as this process's network namespace sees it. */
struct sl_iface {
	const char *ifname;
	int ifindex;		/* 0: no such interface (any more) */
	__u64 netns_cookie;
	__u64 netns_ino;
};

/* The calling thread's network namespace.  Without a cookie two namespaces
 * cannot be told apart, so nothing is done at all. */
static int netns_self(__u64 *cookie, __u64 *ino)
{
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;
	struct stat st;

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len))
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err) {
		pr_warn("cannot tell which network namespace this is (SO_NETNS_COOKIE, Linux "
			"5.14 and later): %s\n", strerror(-err));
		return err;
	}
	*ino = stat("/proc/self/ns/net", &st) ? 0 : (__u64)st.st_ino;
	return 0;
}

static int iface_resolve(struct sl_iface *ifc, const char *ifname)
{
	ifc->ifname = ifname;
	ifc->ifindex = (int)if_nametoindex(ifname);
	return netns_self(&ifc->netns_cookie, &ifc->netns_ino);
}

static void rec_escape(char *out, size_t len, const char *ifname)
{
	size_t o = 0;

	for (; *ifname && o + 4 < len; ifname++) {
		if (*ifname == '.' || *ifname == '%')
			o += (size_t)snprintf(out + o, len - o, "%%%02x", (unsigned char)*ifname);
		else
			out[o++] = *ifname;
	}
	out[o] = '\0';
}

static void rec_unescape(char *out, size_t len, const char *name)
{
	size_t o = 0;
	unsigned int c;

	for (; *name && o + 1 < len; o++) {
		if (name[0] == '%' && sscanf(name + 1, "%2x", &c) == 1) {
			out[o] = (char)c;
			name += 3;
		} else {
			out[o] = *name++;
		}
	}
	out[o] = '\0';
}

/* The record of @hook for @ifc under its present name. */
static void rec_path(char *buf, size_t len, const char *pin_dir, const struct sl_iface *ifc,
		     const char *hook)
{
	char esc[3 * IF_NAMESIZE + 1];

	rec_escape(esc, sizeof(esc), ifc->ifname);
	snprintf(buf, len, "%s/links/%s_c%llx_n%llu_i%d_%s", pin_dir, hook,
		 (unsigned long long)ifc->netns_cookie, (unsigned long long)ifc->netns_ino,
		 ifc->ifindex, esc);
}

/* A record name taken apart; false for anything else under links/. */
struct rec {
	char hook[16];
	__u64 netns_cookie, netns_ino;
	int ifindex;
	char ifname[IF_NAMESIZE];
};

static bool rec_parse(const char *name, struct rec *r)
{
	for (size_t h = 0; h < sizeof(rec_hooks) / sizeof(rec_hooks[0]); h++) {
		size_t hlen = strlen(rec_hooks[h]);
		unsigned long long cookie, ino;
		int used = 0;

		if (strncmp(name, rec_hooks[h], hlen) || name[hlen] != '_')
			continue;
		if (sscanf(name + hlen, "_c%llx_n%llu_i%d_%n", &cookie, &ino, &r->ifindex,
			   &used) != 3 || !used)
			return false;
		snprintf(r->hook, sizeof(r->hook), "%s", rec_hooks[h]);
		r->netns_cookie = cookie;
		r->netns_ino = ino;
		rec_unescape(r->ifname, sizeof(r->ifname), name + hlen + used);
		return true;
	}
	return false;
}

/* Is the interface of record @r still there (in our namespace), by index? */
static bool rec_live(const struct rec *r)
{
	char now[IF_NAMESIZE];

	return if_indextoname((unsigned int)r->ifindex, now) != NULL;
}

/* Is @r the record of @hook on @ifc?  An interface is known by its
 * namespace and index, whatever its name now (see sweep_gone for records of
 * interfaces that are gone). */
static bool rec_matches(const struct rec *r, const struct sl_iface *ifc, const char *hook)
{
	return !strcmp(r->hook, hook) && r->netns_cookie == ifc->netns_cookie &&
	       ifc->ifindex && r->ifindex == ifc->ifindex;
}

/*
 * Removes the records, in our namespace, of interfaces called @ifc's name
 * that are gone: what they held went with the interface.  A renamed
 * interface is not gone (its index lives): its old name must not unpin it
 * and leave its filters running unseen.  Returns how many it removed.
 */
static int sweep_gone(const char *pin_dir, const struct sl_iface *ifc)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct rec r;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/links", pin_dir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (rec_parse(de->d_name, &r) && r.netns_cookie == ifc->netns_cookie &&
		    !strcmp(r.ifname, ifc->ifname) && !rec_live(&r)) {
			snprintf(path, sizeof(path), "%s/links/%s", pin_dir, de->d_name);
			n += !unlink(path) && strcmp(r.hook, "tc_clsact");
		}
	closedir(d);
	return n;
}

/* After a detach found nothing: was @ifc's name that of a renamed interface? */
static void hint_renamed(const char *pin_dir, const struct sl_iface *ifc)
{
	char links[PATH_MAX], now[IF_NAMESIZE];
	struct dirent *de;
	struct rec r;
	bool said = false;
	DIR *d;

	snprintf(links, sizeof(links), "%s/links", pin_dir);
	d = opendir(links);
	if (!d)
		return;
	while (!said && (de = readdir(d)))
		if (rec_parse(de->d_name, &r) && r.netns_cookie == ifc->netns_cookie &&
		    !strcmp(r.ifname, ifc->ifname) &&
		    if_indextoname((unsigned int)r.ifindex, now)) {
			pr_warn("%s: was renamed to %s since sluice was attached: detach %s\n",
				ifc->ifname, now, now);
			said = true;
		}
	closedir(d);
}

/* Finds @ifc's record of @hook into @buf: 0, or -ENOENT. */
static int rec_find(char *buf, size_t len, const char *pin_dir, const struct sl_iface *ifc,
		    const char *hook)
{
	struct dirent *de;
	struct rec r;
	int err = -ENOENT;
	DIR *d;

	snprintf(buf, len, "%s/links", pin_dir);
	d = opendir(buf);
	if (!d)
		return -ENOENT;
	while (err && (de = readdir(d)))
		if (rec_parse(de->d_name, &r) && rec_matches(&r, ifc, hook)) {
			snprintf(buf, len, "%s/links/%s", pin_dir, de->d_name);
			err = 0;
		}
	closedir(d);
	return err;
}

/* Renames @ifc's record of @hook to its present name (after `ip link set
 * name`), so that the record says what the interface is called now. */
static void rec_refresh(const char *pin_dir, const struct sl_iface *ifc, const char *hook)
{
	char found[PATH_MAX], want[PATH_MAX];

	if (rec_find(found, sizeof(found), pin_dir, ifc, hook))
		return;
	rec_path(want, sizeof(want), pin_dir, ifc, hook);
	if (strcmp(found, want) && rename(found, want))
		pr_warn("%s: cannot rename the record %s: %s\n", ifc->ifname, found,
			strerror(errno));
}

/* --- records of older versions ------------------------------------------------ */

/*
 * Older records were named <hook>_<ifname> alone and do not say which
 * namespace they were made in.  One is taken for @ifc's only when the kernel
 * confirms it: the program it holds runs on @ifc's hook in this namespace
 * (program ids are unique machine-wide).  Otherwise it is left alone.
 */
static const char *const legacy_hooks[] = { "xdp", "tc_ingress", "tc_egress" };

static __u32 pinned_prog_id(const char *path, bool is_link)
{
	struct bpf_link_info li = {};
	struct bpf_prog_info pi = {};
	__u32 len = is_link ? sizeof(li) : sizeof(pi), id = 0;
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, is_link ? (void *)&li : (void *)&pi, &len))
		id = is_link ? li.prog_id : pi.id;
	close(fd);
	return id;
}

static bool legacy_runs_here(const char *path, const struct sl_iface *ifc, const char *hook)
{
	bool xdp = !strcmp(hook, "xdp");
	__u32 id = pinned_prog_id(path, xdp);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifc->ifindex,
		    .attach_point = strcmp(hook, "tc_ingress") ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = SL_TC_HANDLE, .priority = SL_TC_PRIORITY);

	if (!id || !ifc->ifindex)
		return false;
	if (xdp)
		return !bpf_xdp_query(ifc->ifindex, 0, &q) &&
		       (q.prog_id == id || q.drv_prog_id == id || q.skb_prog_id == id);
	return !bpf_tc_query(&h, &o) && o.prog_id == id;
}

/* How many older records of @ifc's name are confirmed to be @ifc's; with
 * @remove, what they hold is detached and they go. */
static int legacy_take(const char *pin_dir, const struct sl_iface *ifc, bool remove)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SL_TC_HANDLE, .priority = SL_TC_PRIORITY);
	char path[PATH_MAX];
	int n = 0;

	for (size_t h = 0; h < sizeof(legacy_hooks) / sizeof(legacy_hooks[0]); h++) {
		snprintf(path, sizeof(path), "%s/links/%s_%s", pin_dir, legacy_hooks[h], ifc->ifname);
		if (access(path, F_OK))
			continue;
		if (!legacy_runs_here(path, ifc, legacy_hooks[h])) {
			pr_warn("%s: %s, a record of an older sluice, names no namespace and is not "
				"of this one's %s: left alone\n", ifc->ifname, path, ifc->ifname);
			continue;
		}
		n++;
		if (!remove)
			continue;
		if (h == 0) {
			int fd = bpf_obj_get(path);

			if (fd >= 0 && !bpf_link_detach(fd))
				unlink(path);
			if (fd >= 0)
				close(fd);
		} else {
			opts.prog_fd = opts.prog_id = opts.flags = 0;
			hook.attach_point = h == 1 ? BPF_TC_INGRESS : BPF_TC_EGRESS;
			if (!bpf_tc_detach(&hook, &opts))
				unlink(path);
		}
	}
	snprintf(path, sizeof(path), "%s/links/tc_clsact_%s", pin_dir, ifc->ifname);
	if (remove && n && !access(path, F_OK)) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
		unlink(path);
	}
	return n;
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

static int xdp_replace(int link_fd, int prog_fd, const struct sl_iface *ifc,
		       enum pol_attach_mode want)
{
	enum pol_attach_mode have;
	int err = xdp_current_mode(ifc->ifindex, &have);

	if (!err && have != want) {
		pr_warn("%s: sluice runs there in %s mode; detach first to switch to %s\n",
			ifc->ifname, sl_mode_name(have), sl_mode_name(want));
		return -EBUSY;
	}
	if (bpf_link_update(link_fd, prog_fd, NULL)) {
		err = -errno;
		pr_warn("%s: cannot replace the XDP program: %s\n", ifc->ifname, strerror(-err));
		return err;
	}
	return 0;
}

static int xdp_attach(const char *pin_dir, const struct sl_iface *ifc, int prog_fd,
		      enum pol_attach_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = xdp_flags_of(mode));
	char path[PATH_MAX];
	int link_fd, err = 0;

	if (!rec_find(path, sizeof(path), pin_dir, ifc, "xdp")) {
		link_fd = bpf_obj_get(path);
		if (link_fd < 0)
			return -errno;
		err = xdp_replace(link_fd, prog_fd, ifc, mode);
		close(link_fd);
		if (!err)
			rec_refresh(pin_dir, ifc, "xdp");
		return err;
	}
	link_fd = bpf_link_create(prog_fd, ifc->ifindex, BPF_XDP, &opts);
	if (link_fd < 0) {
		err = -errno;
		pr_warn("%s: cannot attach XDP in %s mode: %s%s\n", ifc->ifname, sl_mode_name(mode),
			strerror(-err), err == -EBUSY || err == -EEXIST ?
			" (another XDP program is attached)" : "");
		return err;
	}
	rec_path(path, sizeof(path), pin_dir, ifc, "xdp");
	if (bpf_obj_pin(link_fd, path)) {
		err = -errno;
		pr_warn("%s: cannot pin XDP link at %s: %s\n", ifc->ifname, path, strerror(-err));
	}
	close(link_fd);	/* the pin (or, on failure, nothing) holds the link */
	return err;
}

static int xdp_detach(const char *pin_dir, const struct sl_iface *ifc)
{
	char path[PATH_MAX];
	int link_fd;

	if (rec_find(path, sizeof(path), pin_dir, ifc, "xdp"))
		return -ENOENT;
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
static int tc_hook_ensure(const char *pin_dir, const struct sl_iface *ifc, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex, .attach_point = BPF_TC_INGRESS);
	char path[PATH_MAX];
	int err = bpf_tc_hook_create(&hook);

	if (err == -EEXIST) {
		rec_refresh(pin_dir, ifc, "tc_clsact");
		return 0;
	}
	if (err) {
		pr_warn("%s: cannot create clsact qdisc: %s\n", ifc->ifname, strerror(-err));
		return err;
	}
	rec_path(path, sizeof(path), pin_dir, ifc, "tc_clsact");
	if (bpf_obj_pin(prog_fd, path) && errno != EEXIST)
		pr_warn("%s: cannot record the clsact qdisc at %s: %s\n", ifc->ifname, path,
			strerror(errno));
	return 0;
}

static int tc_attach(const char *pin_dir, const struct sl_iface *ifc, int prog_fd,
		     enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SL_TC_HANDLE, .priority = SL_TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	char path[PATH_MAX];
	int err;

	err = tc_hook_ensure(pin_dir, ifc, prog_fd);
	if (err)
		return err;
	/* BPF_TC_F_REPLACE swaps the filter's program in place: no gap. */
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		pr_warn("%s: cannot attach TC %s: %s\n", ifc->ifname, tc_dir_name(point),
			strerror(-err));
		return err;
	}
	if (!rec_find(path, sizeof(path), pin_dir, ifc, tc_dir_name(point)))
		unlink(path);	/* the previous program's record */
	rec_path(path, sizeof(path), pin_dir, ifc, tc_dir_name(point));
	if (bpf_obj_pin(prog_fd, path)) {
		err = -errno;
		pr_warn("%s: cannot record TC program at %s: %s\n", ifc->ifname, path,
			strerror(-err));
	}
	return err;
}

static int tc_detach(const char *pin_dir, const struct sl_iface *ifc,
		     enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SL_TC_HANDLE, .priority = SL_TC_PRIORITY);
	char path[PATH_MAX];
	int err = 0;

	if (rec_find(path, sizeof(path), pin_dir, ifc, tc_dir_name(point)))
		return -ENOENT;
	if (ifc->ifindex)
		err = bpf_tc_detach(&hook, &opts);
	if (err && err != -ENOENT)
		pr_warn("%s: cannot detach TC %s: %s\n", ifc->ifname, tc_dir_name(point),
			strerror(-err));
	unlink(path);
	return err == -ENOENT ? 0 : err;
}

static void tc_hook_release(const char *pin_dir, const struct sl_iface *ifc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	char path[PATH_MAX];

	if (rec_find(path, sizeof(path), pin_dir, ifc, "tc_clsact"))
		return;	/* the qdisc was there before us: leave it */
	if (ifc->ifindex)
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
static int attach_ingress(const char *pin_dir, const struct sl_iface *ifc,
			  struct sluice_bpf *skel, enum pol_attach_mode mode)
{
	int err;

	if (mode == POL_MODE_TC) {
		err = tc_attach(pin_dir, ifc, bpf_program__fd(skel->progs.sluice_tc_ingress),
				BPF_TC_INGRESS);
		if (!err && xdp_detach(pin_dir, ifc) == 0)
			pr_info("%s: moved from XDP to TC ingress\n", ifc->ifname);
		return err;
	}
	err = xdp_attach(pin_dir, ifc, bpf_program__fd(skel->progs.sluice_xdp), mode);
	if (!err && tc_detach(pin_dir, ifc, BPF_TC_INGRESS) == 0)
		pr_info("%s: moved from TC ingress to XDP\n", ifc->ifname);
	return err;
}

int sl_attach(const char *pin_dir, const char *ifname, enum pol_attach_mode mode)
{
	struct sl_iface ifc;
	struct sluice_bpf *skel;
	int err = iface_resolve(&ifc, ifname);

	if (err)
		return err;
	if (!ifc.ifindex) {
		pr_warn("%s: no such interface\n", ifname);
		return -ENODEV;
	}
	if (legacy_take(pin_dir, &ifc, false)) {
		pr_warn("%s: attached by an older sluice, whose records name no namespace: "
			"sluicectl detach %s first\n", ifname, ifname);
		return -EEXIST;
	}
	err = prepare_pin_dir(pin_dir);
	if (err)
		return err;
	skel = load_programs(pin_dir);
	if (!skel)
		return -EINVAL;
	err = attach_ingress(pin_dir, &ifc, skel, mode);
	if (!err)
		err = tc_attach(pin_dir, &ifc, bpf_program__fd(skel->progs.sluice_tc_egress),
				BPF_TC_EGRESS);
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
	SL_MAP_SRC_NODES, SL_MAP_SRC_LEAVES, SL_MAP_SRC_DIR_SEQ, SL_MAP_SRC_DIR_HEAD,
	SL_MAP_CONN_TAGS_V4, SL_MAP_CONN_TAGS_V6,
	SL_MAP_AGENTS, SL_MAP_AGENT_STATE, SL_MAP_AGENT_STATS, SL_MAP_SYN_BUCKETS,
	SL_MAP_STATS, SL_MAP_EVLIMIT, SL_MAP_EVFOLD, SL_MAP_EVENTS,
	/* Per-source SYN maps of older versions (now sl_syn_buckets): a detach
	 * after an upgrade still removes them and the directory. */
	"sl_syn_src_v4", "sl_syn_src_v6",
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
	struct sl_iface ifc;
	int found = 0, err = iface_resolve(&ifc, ifname);

	if (err)
		return err;
	err = xdp_detach(pin_dir, &ifc);
	found += !err;
	err = tc_detach(pin_dir, &ifc, BPF_TC_INGRESS);
	found += !err;
	err = tc_detach(pin_dir, &ifc, BPF_TC_EGRESS);
	found += !err;
	tc_hook_release(pin_dir, &ifc);
	found += sweep_gone(pin_dir, &ifc);
	found += legacy_take(pin_dir, &ifc, true);
	if (!found) {
		if (!ifc.ifindex)
			hint_renamed(pin_dir, &ifc);
		pr_warn("%s: sluice is not attached there (in this network namespace)\n", ifname);
		return -ENOENT;
	}
	if (!links_left(pin_dir))
		remove_pins(pin_dir);
	return 0;
}

/* Fills @a from record @r, as the caller's namespace @cookie sees it. */
static void attachment_of(const struct rec *r, __u64 cookie, struct sl_attachment *a)
{
	char now[IF_NAMESIZE];

	memset(a, 0, sizeof(*a));
	snprintf(a->hook, sizeof(a->hook), "%s", r->hook);
	snprintf(a->attached_as, sizeof(a->attached_as), "%s", r->ifname);
	snprintf(a->ifname, sizeof(a->ifname), "%s", r->ifname);
	a->ifindex = r->ifindex;
	a->netns_ino = r->netns_ino;
	a->here = r->netns_cookie == cookie;
	if (!a->here)
		return;
	/* In our namespace the index names the interface now, renamed or not. */
	if (if_indextoname((unsigned int)r->ifindex, now))
		snprintf(a->ifname, sizeof(a->ifname), "%s", now);
	else
		a->gone = true;
}

/* A record of an older version into @a: 1, or 0 for anything else. */
static int legacy_attachment(const char *name, struct sl_attachment *a)
{
	for (size_t h = 0; h < sizeof(legacy_hooks) / sizeof(legacy_hooks[0]); h++) {
		size_t hlen = strlen(legacy_hooks[h]);

		if (strncmp(name, legacy_hooks[h], hlen) || name[hlen] != '_')
			continue;
		memset(a, 0, sizeof(*a));
		snprintf(a->hook, sizeof(a->hook), "%s", legacy_hooks[h]);
		snprintf(a->ifname, sizeof(a->ifname), "%s", name + hlen + 1);
		snprintf(a->attached_as, sizeof(a->attached_as), "%s", name + hlen + 1);
		a->legacy = true;
		return 1;
	}
	return 0;
}

int sl_list_attachments(const char *pin_dir, struct sl_attachment *out, size_t max)
{
	__u64 cookie, ino;
	char links[PATH_MAX];
	struct dirent *de;
	struct rec r;
	size_t n = 0;
	int err = netns_self(&cookie, &ino);
	DIR *d;

	if (err)
		return err;
	snprintf(links, sizeof(links), "%s/links", pin_dir);
	d = opendir(links);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) && n < max) {
		if (rec_parse(de->d_name, &r)) {
			if (strcmp(r.hook, "tc_clsact"))
				attachment_of(&r, cookie, &out[n++]);
			continue;
		}
		n += legacy_attachment(de->d_name, &out[n]);
	}
	closedir(d);
	return (int)n;
}

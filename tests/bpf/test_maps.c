// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_maps.c - policy loads, blocks and bans written into real maps.
 *
 * The maps are created by loading the BPF object with its pins under a
 * private directory in bpffs (removed at exit), so nothing touches a live
 * /sys/fs/bpf/sluice.  Needs root; a load failure fails every case.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/attach.h"
#include "check.h"
#include "base/buf.h"
#include "base/log.h"
#include "kern/maps.h"
#include "frame.h"
#include "sluice.skel.h"
/* The BPF side's GCRA, run here on a simulated clock (plain C and __sync). */
#include "../../bpf/sl_gcra.h"

static char pin_dir[128];
static int xdp_prog_fd = -1;	/* sluice_xdp, judging with the maps under test */

#define KEY_A "a3c5e2f1b0d9c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3"

static const char *policy_a =
	"{\"version\":1,\"backends\":{\"main\":{\"url\":\"http://127.0.0.1:9000/mcp\"}},"
	"\"kernel\":{\"protected_ports\":[8470,9000],\"deny\":[\"192.0.2.0/24\",\"2001:db8::/32\"],"
	"\"syn_per_source\":{\"rate\":100,\"burst\":200}},"
	"\"plans\":{\"free\":{\"kernel\":{\"syn\":{\"rate\":5,\"burst\":10}}}},"
	"\"agents\":{\"bot\":{\"keys_sha256\":[\"" KEY_A "\"],\"plan\":\"free\","
	"\"sources\":[\"198.18.0.2/32\"]},"
	"\"other\":{\"plan\":\"free\",\"sources\":[\"198.18.1.0/24\"]}}}";

/* Same as A, plus a deny entry, minus agent "other", port 9000 gone. */
static const char *policy_b =
	"{\"version\":1,\"backends\":{\"main\":{\"url\":\"http://127.0.0.1:9000/mcp\"}},"
	"\"kernel\":{\"protected_ports\":[8470],\"deny\":[\"192.0.2.0/24\",\"2001:db8::/32\","
	"\"203.0.113.7\"],\"monitor\":true},"
	"\"plans\":{\"free\":{\"kernel\":{\"syn\":{\"rate\":5,\"burst\":10}}}},"
	"\"agents\":{\"bot\":{\"plan\":\"free\",\"sources\":[\"198.18.0.2/32\"]}}}";

static struct policy *parse(const char *text)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;

	if (policy_parse(text, strlen(text), &pol, &errs)) {
		pol_errors_print(&errs, "inline", stderr);
		pol_errors_free(&errs);
		return NULL;
	}
	return pol;
}

static int apply(struct sl_maps *m, const char *text)
{
	struct sl_apply_report rep;
	struct policy *pol = parse(text);
	int err;

	if (!pol)
		return -EINVAL;
	err = sl_maps_apply_policy(m, pol, &rep);
	policy_free(pol);
	return err;
}

static bool lookup_v4_prefix(struct sl_maps *m, const char *addr, __u32 len,
			     struct sl_src_value *v)
{
	struct sl_pfx_v4_key k = { .prefixlen = len };

	inet_pton(AF_INET, addr, &k.addr);
	return !bpf_map_lookup_elem(m->src_v4, &k, v);
}

/* Does the v4 trie hold exactly @addr/@len?  (A trie lookup answers the
 * longest match, so this walks its keys.) */
static bool trie_has_v4(struct sl_maps *m, const char *addr, __u32 len)
{
	struct sl_pfx_v4_key want = { .prefixlen = len }, key, next;
	void *prev = NULL;

	inet_pton(AF_INET, addr, &want.addr);
	while (!bpf_map_get_next_key(m->src_lpm_v4, prev, &next)) {
		if (next.prefixlen == want.prefixlen && next.addr == want.addr)
			return true;
		key = next;
		prev = &key;
	}
	return false;
}

/* The same entry in the v4 trie that mirrors the hash, value for value. */
static bool lpm_mirrors_v4(struct sl_maps *m, const char *addr, __u32 len)
{
	struct sl_pfx_v4_key k = { .prefixlen = len };
	struct sl_src_value in_hash, in_trie;

	inet_pton(AF_INET, addr, &k.addr);
	return trie_has_v4(m, addr, len) && !bpf_map_lookup_elem(m->src_v4, &k, &in_hash) &&
	       !bpf_map_lookup_elem(m->src_lpm_v4, &k, &in_trie) &&
	       !memcmp(&in_hash, &in_trie, sizeof(in_hash));
}

/* Neither the hash nor the trie holds @addr/@len. */
static bool gone_v4(struct sl_maps *m, const char *addr, __u32 len)
{
	struct sl_pfx_v4_key k = { .prefixlen = len };
	struct sl_src_value v;

	inet_pton(AF_INET, addr, &k.addr);
	return bpf_map_lookup_elem(m->src_v4, &k, &v) && !trie_has_v4(m, addr, len);
}

static bool lookup_exact_v4(struct sl_maps *m, const char *addr, struct sl_src_value *v)
{
	__u32 k;

	inet_pton(AF_INET, addr, &k);
	return !bpf_map_lookup_elem(m->exact_v4, &k, v);
}

static bool lookup_exact_v6(struct sl_maps *m, const char *addr, struct sl_src_value *v)
{
	struct sl_v6_addr_key k;

	inet_pton(AF_INET6, addr, k.addr);
	return !bpf_map_lookup_elem(m->exact_v6, &k, v);
}

/* Is @addr's bit set in sl_exact_filter, under the seed sl_config holds? */
static bool filter_has(struct sl_maps *m, const char *addr)
{
	__u32 key[4] = {}, family = strchr(addr, ':') ? SL_AF_INET6 : SL_AF_INET;
	struct sl_config cfg;
	__u32 bit, word;
	__u64 bits;

	inet_pton(family == SL_AF_INET ? AF_INET : AF_INET6, addr, key);
	if (sl_maps_read_config(m, &cfg) || !(cfg.flags & SL_CFG_F_EXACT_FILTER))
		return false;
	bit = sl_exact_filter_bit(&cfg.exact_seed, family, key);
	word = bit / SL_EXACT_FILTER_WORD_BITS;
	if (bpf_map_lookup_elem(m->exact_filter, &word, &bits))
		return false;
	return (bits >> (bit % SL_EXACT_FILTER_WORD_BITS)) & 1;
}

/* Sets the bit of every key of exact map @fd in @want. */
static void want_bits(int fd, __u32 family, const struct sl_exact_seed *seed, __u64 *want)
{
	__u32 key[4] = {}, next[4] = {};
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		__u32 bit = sl_exact_filter_bit(seed, family, next);

		want[bit / SL_EXACT_FILTER_WORD_BITS] |= 1ULL << (bit % SL_EXACT_FILTER_WORD_BITS);
		memcpy(key, next, sizeof(key));
		prev = key;
	}
}

/* Sets the bit of every key (length, address) of prefix map @fd in @want. */
static void want_prefix_bits(int fd, __u32 family, const struct sl_exact_seed *seed,
			     __u64 *want)
{
	struct sl_pfx_v6_key key = {}, next = {};	/* the v4 key is its prefix */
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		__u32 bit = sl_src_filter_bit(seed, family, next.addr, next.prefixlen);

		want[bit / SL_EXACT_FILTER_WORD_BITS] |= 1ULL << (bit % SL_EXACT_FILTER_WORD_BITS);
		key = next;
		prev = &key;
	}
}

/* The lengths sl_config lists for @family, as "28,24,16". */
static const char *lens_text(const struct sl_config *cfg, __u32 family, char *buf, size_t len)
{
	const __u8 *list = family == SL_AF_INET ? cfg->prefix_lens_v4 : cfg->prefix_lens_v6;
	__u8 n = family == SL_AF_INET ? cfg->n_prefix_lens_v4 : cfg->n_prefix_lens_v6;
	size_t at = 0;

	buf[0] = '\0';
	for (__u8 i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%u", i ? "," : "", list[i]);
	return buf;
}

/* The filter holds exactly the bits of the source entries: none missing
 * (that would skip a live entry), none stale.  Returns the first bad word
 * + 1, or 0. */
static __u32 filter_mismatch(struct sl_maps *m)
{
	__u64 *want = calloc(SL_EXACT_FILTER_WORDS, sizeof(*want)), bits;
	struct sl_config cfg;
	__u32 bad = 0;

	if (!want || sl_maps_read_config(m, &cfg) || !(cfg.flags & SL_CFG_F_EXACT_FILTER)) {
		free(want);
		return ~0U;
	}
	want_bits(m->exact_v4, SL_AF_INET, &cfg.exact_seed, want);
	want_bits(m->exact_v6, SL_AF_INET6, &cfg.exact_seed, want);
	want_prefix_bits(m->src_v4, SL_AF_INET, &cfg.exact_seed, want);
	want_prefix_bits(m->src_v6, SL_AF_INET6, &cfg.exact_seed, want);
	for (__u32 i = 0; i < SL_EXACT_FILTER_WORDS && !bad; i++)
		if (bpf_map_lookup_elem(m->exact_filter, &i, &bits) || bits != want[i])
			bad = i + 1;
	free(want);
	return bad;
}

static void test_apply(struct sl_maps *m)
{
	struct sl_src_value v;
	struct sl_config cfg;
	char lens[256];
	int bot, other;

	TEST_CASE("policy load writes ports, deny, identities and agents") {
		CHECK(apply(m, policy_a) == 0, "apply failed");
		CHECK(sl_maps_read_config(m, &cfg) == 0, "config");
		CHECK(cfg.ports[8470 / 64] & (1ULL << (8470 % 64)), "port 8470 not protected");
		CHECK(cfg.ports[9000 / 64] & (1ULL << (9000 % 64)), "port 9000 not protected");
		CHECK(cfg.n_exact_v4 == 1 && cfg.n_exact_v6 == 0 && cfg.n_prefix_v4 == 2 &&
		      cfg.n_prefix_v6 == 1, "counts %u %u %u %u", cfg.n_exact_v4, cfg.n_exact_v6,
		      cfg.n_prefix_v4, cfg.n_prefix_v6);
		CHECK(!strcmp(lens_text(&cfg, SL_AF_INET, lens, sizeof(lens)), "24"),
		      "v4 lengths '%s'", lens);
		CHECK(!strcmp(lens_text(&cfg, SL_AF_INET6, lens, sizeof(lens)), "32"),
		      "v6 lengths '%s'", lens);
		CHECK(cfg.syn_src_interval_ns == 10000000ULL, "syn interval %llu",
		      (unsigned long long)cfg.syn_src_interval_ns);
		CHECK(lookup_v4_prefix(m, "192.0.2.0", 24, &v) && v.eff_deny_until_ns == SL_FOREVER,
		      "deny prefix");
		bot = sl_maps_agent_id(m, "bot");
		other = sl_maps_agent_id(m, "other");
		CHECK(bot > 0 && other > 0 && bot != other, "ids %d %d", bot, other);
		CHECK(lookup_exact_v4(m, "198.18.0.2", &v) && (int)v.eff_agent_id == bot,
		      "identity of bot");
		CHECK(lookup_v4_prefix(m, "198.18.1.0", 24, &v) && (int)v.eff_agent_id == other,
		      "identity of other");
		CHECK(sl_maps_read_config(m, &cfg) == 0 && cfg.flags & SL_CFG_F_EXACT_FILTER &&
		      cfg.exact_seed.mul[0] & 1, "exact filter not armed with a seed");
		CHECK(filter_has(m, "198.18.0.2"), "filter bit of 198.18.0.2 clear");
		CHECK(filter_mismatch(m) == 0, "filter word %u wrong", filter_mismatch(m) - 1);
	}
}

struct watcher {
	struct sl_maps *m;
	atomic_bool stop;
	atomic_long checks, misses;
};

/* Looks the entries both policies share up as fast as it can. */
static void *watch(void *arg)
{
	struct watcher *w = arg;
	struct sl_src_value v;
	struct sl_config cfg;

	while (!atomic_load(&w->stop)) {
		bool ok = lookup_v4_prefix(w->m, "192.0.2.0", 24, &v) &&
			  v.eff_deny_until_ns == SL_FOREVER &&
			  lookup_exact_v4(w->m, "198.18.0.2", &v) && v.eff_agent_id &&
			  filter_has(w->m, "198.18.0.2") &&
			  !sl_maps_read_config(w->m, &cfg) && cfg.n_exact_v4 && cfg.n_prefix_v4 &&
			  cfg.n_prefix_lens_v4 >= 1 && cfg.prefix_lens_v4[0] == 24 &&
			  (cfg.ports[8470 / 64] & (1ULL << (8470 % 64)));

		atomic_fetch_add(&w->checks, 1);
		if (!ok)
			atomic_fetch_add(&w->misses, 1);
	}
	return NULL;
}

static void test_diff_keeps_shared_entries(struct sl_maps *m)
{
	struct watcher w = { .m = m };
	pthread_t tid;
	int err = 0;

	TEST_CASE("reloading keeps entries both policies have present throughout") {
		CHECK(pthread_create(&tid, NULL, watch, &w) == 0, "thread");
		for (int i = 0; i < 200 && !err; i++)
			err = apply(m, i % 2 ? policy_a : policy_b);
		atomic_store(&w.stop, true);
		pthread_join(tid, NULL);
		CHECK(err == 0, "apply %d", err);
		CHECK(atomic_load(&w.checks) > 1000, "only %ld checks",
		      (long)atomic_load(&w.checks));
		CHECK(atomic_load(&w.misses) == 0, "%ld of %ld checks missed a shared entry",
		      (long)atomic_load(&w.misses), (long)atomic_load(&w.checks));
		CHECK(filter_mismatch(m) == 0, "filter word %u wrong", filter_mismatch(m) - 1);
	}
}

/* --- what the XDP program decides while a reload is written ------------------ */

#define WATCH_FRAMES 4

/* Frames run through sluice_xdp, each with the verdict it must always get. */
struct verdict_watch {
	atomic_bool stop;
	atomic_long runs, wrong;
	size_t n;
	struct {
		__u8 data[FR_MAX];
		size_t len;
		__u32 want;		/* XDP_DROP or XDP_PASS */
		atomic_long wrong;
	} f[WATCH_FRAMES];
};

/* TCP ACK|PSH from @src to the protected port (the default tuple otherwise). */
static void watch_frame(struct verdict_watch *w, const char *src, __u32 want)
{
	struct frame_spec spec = { .src = src };

	w->f[w->n].len = frame_build(&spec, w->f[w->n].data);
	w->f[w->n].want = want;
	w->n++;
}

static void *watch_verdicts(void *arg)
{
	struct verdict_watch *w = arg;
	__u8 out[FR_MAX];

	while (!atomic_load(&w->stop)) {
		for (size_t i = 0; i < w->n; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = w->f[i].data,
				    .data_size_in = (__u32)w->f[i].len, .data_out = out,
				    .data_size_out = sizeof(out));
			bool ok = !bpf_prog_test_run_opts(xdp_prog_fd, &opts) &&
				  opts.retval == w->f[i].want;

			atomic_fetch_add(&w->runs, 1);
			if (!ok) {
				atomic_fetch_add(&w->wrong, 1);
				atomic_fetch_add(&w->f[i].wrong, 1);
			}
		}
	}
	return NULL;
}

/* Text of a policy protecting 8470: deny list @deny (a JSON array's inside),
 * agents @agents (an object's inside), monitor mode @monitor. */
static char *policy_text(const char *deny, const char *agents, bool monitor)
{
	struct buf t = {};
	int err = buf_printf(&t, "{\"version\":1,\"backends\":{\"main\":{\"url\":"
			     "\"http://127.0.0.1:9000/mcp\"}},\"kernel\":{\"protected_ports\":"
			     "[8470],\"monitor\":%s,\"deny\":[%s]},\"agents\":{%s}}",
			     monitor ? "true" : "false", deny, agents);

	if (err) {
		free(t.data);
		return NULL;
	}
	return t.data;
}

/* "\"10.<b>.<i/256>.<i%256>\"" for i in [from, from + n), comma-separated;
 * host part 0 skipped so every entry is a plain address. */
static char *deny_list(int b, int from, int n)
{
	struct buf t = {};
	int err = 0;

	for (int i = from; i < from + n && !err; i++)
		err = buf_printf(&t, "%s\"10.%d.%d.%d\"", i > from ? "," : "", b,
				 (i / 255) % 256, i % 255 + 1);
	if (err || !t.data) {
		free(t.data);
		return NULL;
	}
	return t.data;
}

/*
 * A source covered by a prefix that a reload replaces by another covering
 * prefix (192.0.2.0/24 <-> /23; an exact deny <-> its /24) is denied at
 * every instant: the new cover is written before the old one goes.  Entries
 * both policies share cannot show a wrong order; these can.  300 other
 * /32s change on each reload too, so a wrong order has a window to be seen.
 */
static void test_reload_covering_prefixes(struct sl_maps *m)
{
	struct verdict_watch w = {};
	char *bulk_a = deny_list(3, 0, 300), *bulk_b = deny_list(4, 0, 300);
	char *deny_a = NULL, *deny_b = NULL, *pa = NULL, *pb = NULL;
	pthread_t tid;
	int err = 0;

	if (bulk_a && bulk_b && asprintf(&deny_a, "\"192.0.2.0/24\",\"198.51.100.7\",%s",
					 bulk_a) > 0 &&
	    asprintf(&deny_b, "\"192.0.2.0/23\",\"198.51.100.0/24\",%s", bulk_b) > 0) {
		pa = policy_text(deny_a, "", false);
		pb = policy_text(deny_b, "", false);
	}
	watch_frame(&w, "192.0.2.5", XDP_DROP);
	watch_frame(&w, "198.51.100.7", XDP_DROP);
	TEST_CASE("a source whose covering prefix is replaced by another stays denied") {
		CHECK(pa && pb && apply(m, pa) == 0, "first load");
		CHECK(pthread_create(&tid, NULL, watch_verdicts, &w) == 0, "thread");
		for (int i = 0; i < 200 && !err; i++)
			err = apply(m, i % 2 ? pa : pb);
		atomic_store(&w.stop, true);
		pthread_join(tid, NULL);
		CHECK(err == 0, "apply %d", err);
		CHECK(atomic_load(&w.runs) > 1000, "only %ld runs", (long)atomic_load(&w.runs));
		CHECK(atomic_load(&w.wrong) == 0, "passed %ld of %ld (192.0.2.5: %ld, "
		      "198.51.100.7: %ld)", (long)atomic_load(&w.wrong), (long)atomic_load(&w.runs),
		      (long)atomic_load(&w.f[0].wrong), (long)atomic_load(&w.f[1].wrong));
	}
	free(bulk_a);
	free(bulk_b);
	free(deny_a);
	free(deny_b);
	free(pa);
	free(pb);
}

/* Agents g0..g<n-1> on sources 10.99.x.y; the test reaches them by a tag. */
static char *ghost_agents(int n)
{
	struct buf t = {};
	int err = buf_puts(&t, "\"bot\":{\"sources\":[\"198.18.0.2/32\"]}");

	for (int i = 0; i < n && !err; i++)
		err = buf_printf(&t, ",\"g%d\":{\"sources\":[\"10.99.%d.%d\"]}", i, i / 255,
				 i % 255 + 1);
	if (err) {
		free(t.data);
		return NULL;
	}
	return t.data;
}

/* Tags the watcher's default tuple (198.18.0.10:40000 -> .1:8470) with @id. */
static int tag_default_tuple(struct sl_maps *m, __u32 id, bool untag)
{
	struct sl_conn_tuple c = { .family = SL_AF_INET, .proto = IPPROTO_TCP,
				   .sport = htons(FR_PORT_CLIENT), .dport = htons(FR_PORT_PROTECTED) };

	inet_pton(AF_INET, "198.18.0.10", &c.saddr[0]);
	inet_pton(AF_INET, "198.18.0.1", &c.daddr[0]);
	return untag ? sl_maps_untag_conn(m, &c) : sl_maps_tag_conn(m, &c, id);
}

/*
 * Monitor mode on: nothing of the new policy drops while it is written (the
 * bit goes first).  Monitor mode off: nothing of the old, monitored policy
 * drops while it is removed (the bit goes last).  The monitored policy
 * denies 10.0.0.1 (written before 1000 other denies) and has a banned
 * agent, the last of 300 that the next policy removes, tagged on a tuple.
 */
static void test_monitor_order(struct sl_maps *m)
{
	char *bulk = deny_list(200, 0, 1000), *agents = ghost_agents(300);
	char *deny = NULL, *plain = NULL, *monitored = NULL;
	struct verdict_watch w = {};
	pthread_t tid;
	int err = 0, ghost = -1;

	if (bulk && agents && asprintf(&deny, "\"10.0.0.1\",%s", bulk) > 0) {
		plain = policy_text("", "\"bot\":{\"sources\":[\"198.18.0.2/32\"]}", false);
		monitored = policy_text(deny, agents, true);
	}
	watch_frame(&w, "10.0.0.1", XDP_PASS);
	watch_frame(&w, "198.18.0.10", XDP_PASS);
	TEST_CASE("monitor mode is on before a policy's drops and off after its removal") {
		CHECK(plain && monitored && apply(m, plain) == 0, "first load");
		CHECK(pthread_create(&tid, NULL, watch_verdicts, &w) == 0, "thread");
		for (int i = 0; i < 40 && !err; i++) {
			err = apply(m, monitored);
			if (!err && sl_maps_agent_id(m, "g299") != ghost) {
				ghost = sl_maps_agent_id(m, "g299");
				err = tag_default_tuple(m, (__u32)ghost, false);
			}
			if (!err)
				err = sl_maps_ban(m, "g299", SL_FOREVER);
			if (!err)
				err = apply(m, plain);
		}
		atomic_store(&w.stop, true);
		pthread_join(tid, NULL);
		CHECK(err == 0, "apply %d", err);
		CHECK(ghost > 0, "no id for g299");
		CHECK(atomic_load(&w.runs) > 1000, "only %ld runs", (long)atomic_load(&w.runs));
		CHECK(atomic_load(&w.wrong) == 0, "dropped %ld of %ld (denied source: %ld, banned "
		      "agent's tuple: %ld)", (long)atomic_load(&w.wrong), (long)atomic_load(&w.runs),
		      (long)atomic_load(&w.f[0].wrong), (long)atomic_load(&w.f[1].wrong));
		tag_default_tuple(m, 0, true);
	}
	free(bulk);
	free(agents);
	free(deny);
	free(plain);
	free(monitored);
}

/* sluice_xdp's action for a TCP ACK from @src to the protected port. */
static __u32 verdict_of(const char *src)
{
	struct frame_spec spec = { .family = strchr(src, ':') ? 6 : 4, .src = src };
	__u8 frame[FR_MAX], out[FR_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_out = out,
		    .data_size_out = sizeof(out));

	opts.data_size_in = (__u32)frame_build(&spec, frame);
	if (bpf_prog_test_run_opts(xdp_prog_fd, &opts))
		return ~0U;
	return opts.retval;
}

/*
 * The source directory: each load builds it into the half packets do not
 * read and flips to it; a family whose table needs more nodes than a half
 * has is left to the hashes and trie, with the same verdicts.
 */
static void test_directory(struct sl_maps *m)
{
	struct buf deny = {};
	char *small = policy_text("\"198.18.7.0/24\",\"2001:db8:7::/48\"", "", false), *big;
	struct sl_config c1 = {}, c2 = {}, c3 = {};
	int err = 0;

	/* 1,500 /64s under distinct /16s: 6 nodes each, past a half's 4,096. */
	for (int i = 0; i < 1500 && !err; i++)
		err = buf_printf(&deny, "\"2%03x:%x::/64\",", i, i);
	if (!err)
		err = buf_printf(&deny, "\"198.18.7.0/24\"");
	big = err ? NULL : policy_text(deny.data, "", false);
	TEST_CASE("directory: each load flips to the other half; a table too big for it is "
		  "left to the trie, judged the same") {
		CHECK(small && big && apply(m, small) == 0, "load");
		CHECK(sl_maps_read_config(m, &c1) == 0, "config");
		CHECK((c1.flags & (SL_CFG_F_DIR_V4 | SL_CFG_F_DIR_V6)) ==
		      (SL_CFG_F_DIR_V4 | SL_CFG_F_DIR_V6), "flags %#x", c1.flags);
		CHECK(verdict_of("198.18.7.9") == XDP_DROP, "v4 in the directory");
		CHECK(verdict_of("2001:db8:7::1") == XDP_DROP, "v6 in the directory");
		CHECK(verdict_of("2001:db8:8::1") == XDP_PASS, "v6 outside");
		CHECK(apply(m, big) == 0, "the big load");
		CHECK(sl_maps_read_config(m, &c2) == 0, "config");
		CHECK((c2.flags & SL_CFG_F_DIR_HALF) != (c1.flags & SL_CFG_F_DIR_HALF),
		      "the half did not flip: %#x then %#x", c1.flags, c2.flags);
		CHECK(c2.flags & SL_CFG_F_DIR_V4 && !(c2.flags & SL_CFG_F_DIR_V6),
		      "v4 in the directory, v6 left to the trie: flags %#x", c2.flags);
		CHECK(verdict_of("198.18.7.9") == XDP_DROP, "v4 still denied");
		CHECK(verdict_of("2005:5::77") == XDP_DROP, "v6 denied by the trie");
		CHECK(verdict_of("2001:db8:7::1") == XDP_PASS, "the old v6 entry is gone");
		CHECK(apply(m, small) == 0, "back");
		CHECK(sl_maps_read_config(m, &c3) == 0, "config");
		CHECK((c3.flags & (SL_CFG_F_DIR_V4 | SL_CFG_F_DIR_V6)) ==
		      (SL_CFG_F_DIR_V4 | SL_CFG_F_DIR_V6), "flags %#x", c3.flags);
		CHECK(verdict_of("2001:db8:7::1") == XDP_DROP, "v6 in the directory again");
		CHECK(verdict_of("2005:5::77") == XDP_PASS, "and the big table gone");
	}
	free(deny.data);
	free(small);
	free(big);
}

/* Entries of exact map @fd. */
static __u32 count_keys(int fd)
{
	__u32 key[4] = {}, next[4] = {}, n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

/*
 * 5/8 of sl_exact_v4 replaced by as many other addresses fits after the
 * change, but not during it (old and new are both present a while): the
 * load is refused before anything is written, not left half done.
 */
static void test_capacity_of_the_union(struct sl_maps *m)
{
	int n = SL_MAX_EXACT / 8 * 5;
	char *deny_a = deny_list(20, 0, n), *deny_b = deny_list(21, 0, n);
	char *pa = deny_a ? policy_text(deny_a, "", false) : NULL;
	char *pb = deny_b ? policy_text(deny_b, "", false) : NULL;
	struct sl_config before = {}, after = {};
	struct sl_src_value v;

	TEST_CASE("a change whose old and new entries do not fit together is refused whole") {
		CHECK(pa && pb && apply(m, pa) == 0, "load %d addresses", n);
		CHECK(sl_maps_read_config(m, &before) == 0 && before.n_exact_v4 == (__u32)n,
		      "count %u", before.n_exact_v4);
		CHECK(pb && apply(m, pb) == -E2BIG, "the swap to %d others was not refused", n);
		CHECK(sl_maps_read_config(m, &after) == 0 &&
		      after.generation == before.generation &&
		      after.n_exact_v4 == before.n_exact_v4, "config changed: generation %llu -> "
		      "%llu, count %u -> %u", (unsigned long long)before.generation,
		      (unsigned long long)after.generation, before.n_exact_v4, after.n_exact_v4);
		CHECK(count_keys(m->exact_v4) == (__u32)n, "%u entries, want the %d old ones",
		      count_keys(m->exact_v4), n);
		CHECK(!lookup_exact_v4(m, "10.21.0.1", &v), "a new entry was written");
		CHECK(lookup_exact_v4(m, "10.20.0.1", &v) && v.eff_deny_until_ns == SL_FOREVER,
		      "an old entry was removed");
		CHECK(filter_mismatch(m) == 0, "filter word %u wrong", filter_mismatch(m) - 1);
		CHECK(apply(m, policy_a) == 0 && count_keys(m->exact_v4) == 1, "back to policy a");
	}
	free(deny_a);
	free(deny_b);
	free(pa);
	free(pb);
}

static void test_same_policy_writes_nothing(struct sl_maps *m)
{
	struct sl_apply_report rep = {};
	struct policy *pol = parse(policy_a);

	TEST_CASE("loading the same policy again writes no source entry") {
		CHECK(pol && sl_maps_apply_policy(m, pol, &rep) == 0, "first load");
		CHECK(pol && sl_maps_apply_policy(m, pol, &rep) == 0, "second load");
		CHECK(rep.src_updated == 0 && rep.src_deleted == 0, "%u written, %u removed",
		      rep.src_updated, rep.src_deleted);
		CHECK(rep.agents_added == 0 && rep.agents_updated == 0 && rep.agents_removed == 0,
		      "agents %u/%u/%u", rep.agents_added, rep.agents_updated, rep.agents_removed);
	}
	policy_free(pol);
}

static void test_ids_stable_and_removed(struct sl_maps *m)
{
	struct sl_agent a;
	int bot_before, other_before;
	__u32 id;

	TEST_CASE("agent ids survive reloads; a removed agent's slot is cleared") {
		CHECK(apply(m, policy_a) == 0, "apply a");
		bot_before = sl_maps_agent_id(m, "bot");
		other_before = sl_maps_agent_id(m, "other");
		CHECK(apply(m, policy_b) == 0, "apply b");
		CHECK(sl_maps_agent_id(m, "bot") == bot_before, "bot moved");
		CHECK(sl_maps_agent_id(m, "other") == -ENOENT, "other still there");
		id = (__u32)other_before;
		CHECK(!bpf_map_lookup_elem(m->agents, &id, &a) && !a.flags, "slot not cleared");
	}
}

/* @n agents a0.., agent i on source 10.(i / 256).(i % 256).1. */
static char *many_agents(int n)
{
	struct buf t = {};
	int err = buf_puts(&t, "{\"version\":1,\"backends\":{\"main\":{\"url\":"
			   "\"http://127.0.0.1:9000/mcp\"}},\"agents\":{");

	for (int i = 0; i < n && !err; i++)
		err = buf_printf(&t, "%s\"a%d\":{\"sources\":[\"10.%d.%d.1\"]}", i ? "," : "", i,
				 i / 256, i % 256);
	if (!err)
		err = buf_puts(&t, "}}");
	if (err) {
		free(t.data);
		return NULL;
	}
	return t.data;
}

/* Ids past the old cap of 4095: written, bound to their sources, kept over
 * a reload, and a ban by name reaches them. */
static void test_many_agents(struct sl_maps *m)
{
	char *text = many_agents(10000);
	struct sl_src_value v;
	struct sl_agent a;
	int first = -1, last = -1;
	__u32 id;

	TEST_CASE("10000 agents load; the last one's id is bound, kept and banned") {
		CHECK(text && apply(m, text) == 0, "apply");
		first = sl_maps_agent_id(m, "a0");
		last = sl_maps_agent_id(m, "a9999");
		CHECK(first > 0 && last >= 10000 && last < SL_MAX_AGENTS, "ids %d, %d", first, last);
		CHECK(lookup_exact_v4(m, "10.39.15.1", &v) && v.own_agent_id == (__u32)last,
		      "source of a9999 names agent %u", v.own_agent_id);
		CHECK(text && apply(m, text) == 0, "reload");
		CHECK(sl_maps_agent_id(m, "a9999") == last && sl_maps_agent_id(m, "a0") == first,
		      "ids moved on reload");
		CHECK(sl_maps_ban(m, "a9999", SL_FOREVER) == 0, "ban");
		id = (__u32)last;
		CHECK(!bpf_map_lookup_elem(m->agents, &id, &a) && a.banned_until_ns == SL_FOREVER &&
		      !strcmp(a.name, "a9999"), "slot %u: %s", id, a.name);
		CHECK(apply(m, policy_b) == 0, "back to a small policy");
		CHECK(!bpf_map_lookup_elem(m->agents, &id, &a) && !a.flags, "slot %u not cleared", id);
	}
	free(text);
}

static void test_block_and_ban(struct sl_maps *m)
{
	struct sl_prefix p;
	struct sl_src_value v;
	struct sl_agent a;
	const char *why;
	__u32 id;

	TEST_CASE("blocks and bans survive a policy load; unblock removes only the block") {
		CHECK(apply(m, policy_a) == 0, "apply");
		sl_prefix_parse("192.0.2.0/24", &p, &why);
		CHECK(sl_maps_block(m, &p, sl_now_ns() + 60000000000ULL) == 0, "block");
		sl_prefix_parse("198.51.100.9", &p, &why);
		CHECK(sl_maps_block(m, &p, SL_FOREVER) == 0, "block exact");
		CHECK(sl_maps_ban(m, "bot", SL_FOREVER) == 0, "ban");
		CHECK(sl_maps_ban(m, "nobody", SL_FOREVER) == -ENOENT, "ban unknown");
		CHECK(apply(m, policy_b) == 0, "reload");
		CHECK(lookup_exact_v4(m, "198.51.100.9", &v) && v.own == SL_SRC_BLOCK, "block lost");
		id = (__u32)sl_maps_agent_id(m, "bot");
		CHECK(!bpf_map_lookup_elem(m->agents, &id, &a) && a.banned_until_ns == SL_FOREVER,
		      "ban lost");
		CHECK(sl_maps_unblock(m, &p) == 0, "unblock");
		CHECK(!lookup_exact_v4(m, "198.51.100.9", &v), "still blocked");
		CHECK(sl_maps_unblock(m, &p) == -ENOENT, "unblock twice");
		sl_prefix_parse("192.0.2.0/24", &p, &why);
		CHECK(sl_maps_unblock(m, &p) == 0, "unblock the policy-denied prefix");
		CHECK(lookup_v4_prefix(m, "192.0.2.0", 24, &v) && v.own == SL_SRC_POLICY_DENY,
		      "policy deny lost with the block");
	}
}

/* True when @t holds @text with exactly the reasons @own. */
static bool srctab_has(struct srctab *t, const char *text, __u32 own)
{
	const struct srctab_entry *e;
	struct sl_prefix p;
	const char *why;

	if (sl_prefix_parse(text, &p, &why))
		return false;
	e = srctab_find(t, &p);
	return e && e->val.own == own;
}

static void test_exact_per_family(struct sl_maps *m)
{
	struct srctab t = {};
	struct sl_src_value v;
	struct sl_config cfg;
	struct sl_prefix p;
	const char *why;

	TEST_CASE("exact v4 and v6 sources land in their family's map and read back") {
		CHECK(apply(m, policy_a) == 0, "apply");
		sl_prefix_parse("2001:db8:1::9", &p, &why);
		CHECK(sl_maps_block(m, &p, SL_FOREVER) == 0, "block v6");
		CHECK(lookup_exact_v6(m, "2001:db8:1::9", &v) && v.own == SL_SRC_BLOCK &&
		      v.eff_deny_until_ns == SL_FOREVER, "v6 /128 not in sl_exact_v6");
		CHECK(filter_has(m, "2001:db8:1::9"), "v6 /128's filter bit clear");
		CHECK(filter_mismatch(m) == 0, "filter word %u wrong", filter_mismatch(m) - 1);
		CHECK(!lookup_exact_v4(m, "32.1.13.184", &v), "v6 block leaked into sl_exact_v4");
		CHECK(sl_maps_read_config(m, &cfg) == 0 && cfg.n_exact_v4 == 1 &&
		      cfg.n_exact_v6 == 1, "counts %u %u", cfg.n_exact_v4, cfg.n_exact_v6);
		CHECK(sl_maps_read_srctab(m, &t) == 0, "read back");
		CHECK(srctab_has(&t, "2001:db8:1::9/128", SL_SRC_BLOCK), "v6 /128 read back");
		CHECK(srctab_has(&t, "198.18.0.2/32", SL_SRC_IDENT), "v4 /32 read back");
		CHECK(srctab_has(&t, "2001:db8::/32", SL_SRC_POLICY_DENY), "v6 prefix read back");
		srctab_free(&t);
		CHECK(sl_maps_unblock(m, &p) == 0, "unblock");
		CHECK(!lookup_exact_v6(m, "2001:db8:1::9", &v), "v6 block not removed");
		CHECK(!filter_has(m, "2001:db8:1::9"), "v6 /128's filter bit left set");
		CHECK(filter_mismatch(m) == 0, "filter word %u wrong", filter_mismatch(m) - 1);
		CHECK(sl_maps_read_config(m, &cfg) == 0 && cfg.n_exact_v6 == 0, "v6 count %u",
		      cfg.n_exact_v6);
	}
}

/*
 * Two addresses of 10.0.0.0/12 whose filter bits are the same, into @a and
 * @b.  2^20 + 1 addresses cannot have distinct bits among 2^20, so a pair
 * is found under every seed: the search is sure to succeed, not likely to.
 */
static bool find_colliding_v4(struct sl_maps *m, char *a, char *b, size_t len)
{
	__u32 *first = calloc(1U << SL_EXACT_FILTER_BITS_LOG2, sizeof(*first));
	__u32 addr[4] = {}, other[4] = {};
	struct sl_config cfg;
	bool found = false;

	if (!first || sl_maps_read_config(m, &cfg)) {
		free(first);
		return false;
	}
	for (__u32 i = 1; i <= (1U << SL_EXACT_FILTER_BITS_LOG2) + 1 && !found; i++) {
		__u32 bit;

		addr[0] = htonl(0x0A000000 | i);
		bit = sl_exact_filter_bit(&cfg.exact_seed, SL_AF_INET, addr);
		if (!first[bit]) {
			first[bit] = i;
			continue;
		}
		other[0] = htonl(0x0A000000 | first[bit]);
		found = inet_ntop(AF_INET, addr, a, (socklen_t)len) &&
			inet_ntop(AF_INET, other, b, (socklen_t)len);
	}
	free(first);
	return found;
}

/* Gives the maps @seed with an empty, disarmed filter, as fresh maps with
 * that seed would be: the next write fills the filter. */
static int set_filter_seed(struct sl_maps *m, const struct sl_exact_seed *seed)
{
	struct sl_config cfg;
	__u32 zero = 0;
	__u64 none = 0;
	int err = sl_maps_read_config(m, &cfg);

	if (err)
		return err;
	cfg.exact_seed = *seed;
	cfg.flags &= ~SL_CFG_F_EXACT_FILTER;
	if (bpf_map_update_elem(m->config, &zero, &cfg, BPF_ANY))
		return -errno;
	for (__u32 i = 0; i < SL_EXACT_FILTER_WORDS; i++)
		if (bpf_map_update_elem(m->exact_filter, &i, &none, BPF_ANY))
			return -errno;
	return 0;
}

/* policy_b with deny /32s @a and @b (@b may be NULL). */
static void policy_with_deny(char *buf, size_t len, const char *a, const char *b)
{
	snprintf(buf, len,
		 "{\"version\":1,\"backends\":{\"main\":{\"url\":\"http://127.0.0.1:9000/mcp\"}},"
		 "\"kernel\":{\"protected_ports\":[8470],\"deny\":[\"%s\"%s%s%s]},"
		 "\"agents\":{\"bot\":{\"sources\":[\"198.18.0.2/32\"]}}}",
		 a, b ? ",\"" : "", b ? b : "", b ? "\"" : "");
}

static void check_filter_collision(struct sl_maps *m)
{
	char a[INET_ADDRSTRLEN] = "", b[INET_ADDRSTRLEN] = "", text[1024];
	struct sl_src_value v;

	CHECK(apply(m, policy_a) == 0, "apply");
	CHECK(find_colliding_v4(m, a, b, sizeof(a)), "no collision");
	policy_with_deny(text, sizeof(text), a, b);
	CHECK(apply(m, text) == 0, "apply both");
	CHECK(filter_has(m, a) && filter_has(m, b), "shared bit clear");
	policy_with_deny(text, sizeof(text), a, NULL);
	CHECK(apply(m, text) == 0, "apply one");
	CHECK(!lookup_exact_v4(m, b, &v), "%s not removed", b);
	CHECK(lookup_exact_v4(m, a, &v), "%s lost", a);
	CHECK(filter_has(m, a), "bit cleared under a remaining entry");
	CHECK(filter_mismatch(m) == 0, "filter word %u wrong", filter_mismatch(m) - 1);
	CHECK(apply(m, policy_a) == 0, "apply a");
	CHECK(!filter_has(m, a), "bit of no entry left set");
	CHECK(filter_mismatch(m) == 0, "filter word %u wrong", filter_mismatch(m) - 1);
}

static void test_filter_collision(struct sl_maps *m)
{
	/* A seed under which no address of 10.0.0.0/8 shares 203.0.113.7's bit
	 * (about one seed in a hundred is so): the pair search must not care. */
	static const struct sl_exact_seed hard = {
		.mul = { 0xe45fef8cfc92d363ULL, 0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL,
			 0x94d049bb133111ebULL },
		.add = 0x347a80b447f3d137ULL,
	};
	struct sl_config cfg;

	TEST_CASE("a reload removing one of two colliding addresses keeps their bit") {
		check_filter_collision(m);
	}
	TEST_CASE("... under a seed that scatters 10.0.0.0/8 away from 203.0.113.7 too") {
		CHECK(sl_maps_read_config(m, &cfg) == 0 && set_filter_seed(m, &hard) == 0, "seed");
		check_filter_collision(m);
		CHECK(set_filter_seed(m, &cfg.exact_seed) == 0 && apply(m, policy_a) == 0,
		      "back to the drawn seed");
		CHECK(filter_mismatch(m) == 0, "filter word %u wrong", filter_mismatch(m) - 1);
	}
}

/* A reader that, while lengths come and go, must always see /24 listed
 * (192.0.2.0/24 is in every policy it runs against). */
static void *watch_lens(void *arg)
{
	struct watcher *w = arg;
	struct sl_config cfg;

	while (!atomic_load(&w->stop)) {
		bool seen = false;

		if (!sl_maps_read_config(w->m, &cfg))
			for (__u8 i = 0; i < cfg.n_prefix_lens_v4 && i < SL_PREFIX_LENS_V4; i++)
				seen |= cfg.prefix_lens_v4[i] == 24;
		atomic_fetch_add(&w->checks, 1);
		if (!seen)
			atomic_fetch_add(&w->misses, 1);
	}
	return NULL;
}

static void test_prefix_lengths(struct sl_maps *m)
{
	struct watcher w = { .m = m };
	struct sl_src_value v;
	struct sl_config cfg;
	struct sl_prefix p16, p28;
	const char *why;
	char lens[256];
	pthread_t tid;
	int err = 0;

	sl_prefix_parse("10.1.0.0/16", &p16, &why);
	sl_prefix_parse("192.0.2.16/28", &p28, &why);
	TEST_CASE("sl_config lists the prefix lengths in use, longest first") {
		CHECK(apply(m, policy_a) == 0, "apply");
		CHECK(sl_maps_block(m, &p16, SL_FOREVER) == 0, "block /16");
		CHECK(sl_maps_block(m, &p28, SL_FOREVER) == 0, "block /28");
		CHECK(sl_maps_read_config(m, &cfg) == 0 &&
		      !strcmp(lens_text(&cfg, SL_AF_INET, lens, sizeof(lens)), "28,24,16"),
		      "v4 lengths '%s'", lens);
		CHECK(lookup_v4_prefix(m, "10.1.0.0", 16, &v) && v.eff_deny_until_ns == SL_FOREVER,
		      "/16 under its masked key");
		CHECK(lookup_v4_prefix(m, "192.0.2.16", 28, &v) && v.eff_deny_until_ns == SL_FOREVER,
		      "/28 under its masked key");
		CHECK(filter_mismatch(m) == 0, "filter word %u wrong", filter_mismatch(m) - 1);
		CHECK(lpm_mirrors_v4(m, "10.1.0.0", 16) && lpm_mirrors_v4(m, "192.0.2.16", 28) &&
		      lpm_mirrors_v4(m, "192.0.2.0", 24), "the trie does not mirror the hash");
		CHECK(sl_maps_unblock(m, &p16) == 0 && sl_maps_unblock(m, &p28) == 0, "unblock");
		CHECK(gone_v4(m, "10.1.0.0", 16) && gone_v4(m, "192.0.2.16", 28),
		      "unblocked prefixes left in the hash or the trie");
		CHECK(sl_maps_read_config(m, &cfg) == 0 &&
		      !strcmp(lens_text(&cfg, SL_AF_INET, lens, sizeof(lens)), "24"),
		      "v4 lengths after unblock '%s'", lens);
		CHECK(!lookup_v4_prefix(m, "10.1.0.0", 16, &v), "/16 left behind");
		CHECK(filter_mismatch(m) == 0, "filter word %u wrong", filter_mismatch(m) - 1);
	}
	TEST_CASE("a length in use stays listed while others are added and removed") {
		CHECK(pthread_create(&tid, NULL, watch_lens, &w) == 0, "thread");
		for (int i = 0; i < 100 && !err; i++) {
			err = sl_maps_block(m, i % 2 ? &p16 : &p28, SL_FOREVER);
			if (!err)
				err = sl_maps_unblock(m, i % 2 ? &p28 : &p16);
			if (err == -ENOENT)	/* the first round has nothing to unblock */
				err = 0;
		}
		atomic_store(&w.stop, true);
		pthread_join(tid, NULL);
		CHECK(err == 0, "block/unblock %d", err);
		CHECK(atomic_load(&w.checks) > 100, "only %ld checks", (long)atomic_load(&w.checks));
		CHECK(atomic_load(&w.misses) == 0, "/24 unlisted in %ld of %ld reads",
		      (long)atomic_load(&w.misses), (long)atomic_load(&w.checks));
		sl_maps_unblock(m, &p16);
		sl_maps_unblock(m, &p28);
	}
}

static __u32 tag_count(struct sl_maps *m, __u32 family)
{
	struct sl_config cfg;

	if (sl_maps_read_config(m, &cfg))
		return ~0U;
	return family == SL_AF_INET ? cfg.n_conn_tags_v4 : cfg.n_conn_tags_v6;
}

struct tagger {
	struct sl_maps *m;
	int id;
	int err;
};

/* Tags and untags its own tuples, and now and then one shared by all. */
static void *tag_churn(void *arg)
{
	struct tagger *t = arg;
	struct sl_conn_tuple c = { .family = SL_AF_INET, .proto = IPPROTO_TCP,
				   .dport = htons(8470) };

	c.saddr[0] = htonl(0xC6120000 | (__u32)t->id);	/* 198.18.0.id */
	c.daddr[0] = htonl(0xC6120001);
	for (int i = 0; i < 2000 && !t->err; i++) {
		int err;

		c.sport = htons((__u16)(20000 + i % 50));
		if (i % 7 == 0)
			c.saddr[0] = htonl(0xC61200FE);	/* the shared tuple */
		t->err = sl_maps_tag_conn(t->m, &c, 3);
		err = sl_maps_untag_conn(t->m, &c);
		if (err && !(err == -ENOENT && i % 7 == 0))	/* another thread untagged it */
			t->err = err;
		c.saddr[0] = htonl(0xC6120000 | (__u32)t->id);
	}
	return NULL;
}

/* Reads the v4 count while a tag stays present: it must never be 0. */
static void *watch_count(void *arg)
{
	struct watcher *w = arg;

	while (!atomic_load(&w->stop)) {
		atomic_fetch_add(&w->checks, 1);
		if (tag_count(w->m, SL_AF_INET) == 0)
			atomic_fetch_add(&w->misses, 1);
	}
	return NULL;
}

static void test_conn_tag_counts(struct sl_maps *m)
{
	struct sl_conn_tuple keep = { .family = SL_AF_INET, .proto = IPPROTO_TCP,
				      .sport = htons(30000), .dport = htons(8470) };
	struct tagger t[4];
	struct watcher w = { .m = m };
	pthread_t tid[4], wid;
	int err = 0;

	keep.saddr[0] = htonl(0xC6120101);
	keep.daddr[0] = htonl(0xC6120001);
	TEST_CASE("the tag count follows tag, re-tag and untag, per family") {
		__u32 v6_before = tag_count(m, SL_AF_INET6);

		CHECK(tag_count(m, SL_AF_INET) == 0, "v4 count %u before", tag_count(m, SL_AF_INET));
		CHECK(sl_maps_tag_conn(m, &keep, 3) == 0, "tag");
		CHECK(tag_count(m, SL_AF_INET) == 1, "count %u after a tag", tag_count(m, SL_AF_INET));
		CHECK(sl_maps_tag_conn(m, &keep, 4) == 0, "re-tag");
		CHECK(tag_count(m, SL_AF_INET) == 1, "count %u after a re-tag",
		      tag_count(m, SL_AF_INET));
		CHECK(tag_count(m, SL_AF_INET6) == v6_before, "v6 count moved");
		CHECK(sl_maps_untag_conn(m, &keep) == 0, "untag");
		CHECK(sl_maps_untag_conn(m, &keep) == -ENOENT, "untag twice");
		CHECK(tag_count(m, SL_AF_INET) == 0, "count %u after untag", tag_count(m, SL_AF_INET));
	}
	TEST_CASE("concurrent tags, untags and policy loads never count a present tag away") {
		CHECK(sl_maps_tag_conn(m, &keep, 3) == 0, "tag the kept tuple");
		CHECK(pthread_create(&wid, NULL, watch_count, &w) == 0, "watcher");
		for (int i = 0; i < 4; i++) {
			t[i] = (struct tagger){ .m = m, .id = 10 + i };
			CHECK(pthread_create(&tid[i], NULL, tag_churn, &t[i]) == 0, "tagger %d", i);
		}
		for (int i = 0; i < 20 && !err; i++)	/* whole-config writes meanwhile */
			err = apply(m, i % 2 ? policy_a : policy_b);
		for (int i = 0; i < 4; i++) {
			pthread_join(tid[i], NULL);
			CHECK(t[i].err == 0, "tagger %d: %d", i, t[i].err);
		}
		atomic_store(&w.stop, true);
		pthread_join(wid, NULL);
		CHECK(err == 0, "apply %d", err);
		CHECK(atomic_load(&w.misses) == 0, "count read 0 in %ld of %ld reads",
		      (long)atomic_load(&w.misses), (long)atomic_load(&w.checks));
		CHECK(tag_count(m, SL_AF_INET) == 1, "count %u with one tag left",
		      tag_count(m, SL_AF_INET));
		CHECK(sl_maps_untag_conn(m, &keep) == 0 && tag_count(m, SL_AF_INET) == 0,
		      "count %u after the last untag", tag_count(m, SL_AF_INET));
	}
}

static void test_conn_tags(struct sl_maps *m)
{
	struct sl_conn_tuple c4 = { .family = SL_AF_INET, .proto = IPPROTO_TCP,
				    .sport = htons(40000), .dport = htons(8470) };
	struct sl_conn_tuple c6 = c4;
	struct sl_conn_v4_key k4 = { .sport = c4.sport, .dport = c4.dport, .proto = IPPROTO_TCP };
	struct sl_conn_v6_key k6 = { .sport = c4.sport, .dport = c4.dport, .proto = IPPROTO_TCP };
	struct sl_conn_tag tag;

	inet_pton(AF_INET, "198.18.0.10", &c4.saddr[0]);
	inet_pton(AF_INET, "198.18.0.1", &c4.daddr[0]);
	k4.saddr = c4.saddr[0];
	k4.daddr = c4.daddr[0];
	c6.family = SL_AF_INET6;
	inet_pton(AF_INET6, "2001:db8::10", c6.saddr);
	inet_pton(AF_INET6, "2001:db8::1", c6.daddr);
	memcpy(k6.saddr, c6.saddr, sizeof(k6.saddr));
	memcpy(k6.daddr, c6.daddr, sizeof(k6.daddr));
	TEST_CASE("connection tags land under the key the XDP path builds, per family") {
		CHECK(sl_maps_tag_conn(m, &c4, 7) == 0, "tag v4");
		CHECK(sl_maps_tag_conn(m, &c6, 8) == 0, "tag v6");
		CHECK(!bpf_map_lookup_elem(m->conn_tags_v4, &k4, &tag) && tag.agent_id == 7 &&
		      tag.tagged_ns, "v4 tag");
		CHECK(!bpf_map_lookup_elem(m->conn_tags_v6, &k6, &tag) && tag.agent_id == 8,
		      "v6 tag");
		CHECK(sl_maps_untag_conn(m, &c4) == 0 && sl_maps_untag_conn(m, &c6) == 0, "untag");
		CHECK(bpf_map_lookup_elem(m->conn_tags_v4, &k4, &tag) && errno == ENOENT,
		      "v4 tag left");
		CHECK(sl_maps_untag_conn(m, &c6) == -ENOENT, "untag twice");
		CHECK(tag_count(m, SL_AF_INET) == 0 && tag_count(m, SL_AF_INET6) == 0,
		      "counts %u %u after untags", tag_count(m, SL_AF_INET),
		      tag_count(m, SL_AF_INET6));
	}
}

/* A small burst at a high rate: 100,000 a second, bursts of 10 (100 us). */
static const char *policy_fast =
	"{\"version\":1,\"backends\":{\"main\":{\"url\":\"http://127.0.0.1:9000/mcp\"}},"
	"\"kernel\":{\"protected_ports\":[8470],"
	"\"syn_per_source\":{\"rate\":100000,\"burst\":10}},"
	"\"plans\":{\"fast\":{\"kernel\":{\"packets\":{\"rate\":100000,\"burst\":10}}}},"
	"\"agents\":{\"bot\":{\"plan\":\"fast\",\"sources\":[\"198.18.0.2/32\"]}}}";

/*
 * Units one bucket admits in one simulated second when the clock moves
 * only in ticks of @tick_ns (as CLOCK_MONOTONIC_COARSE does) and every tick
 * brings more units than the rate allows.
 */
static __u64 admitted_per_second(__u64 interval_ns, __u64 burst_ns, __u64 tick_ns)
{
	__u64 tat = 0, admitted = 0, base = 1000 * SL_NSEC_PER_SEC;
	__u64 offered = 2 * tick_ns / interval_ns + 2;

	for (__u64 now = base; now < base + SL_NSEC_PER_SEC; now += tick_ns)
		for (__u64 i = 0; i < offered; i++)
			admitted += sl_gcra(&tat, now, interval_ns, burst_ns);
	return admitted;
}

/*
 * The coarse clock stands still for a tick; a burst window shorter than
 * that caps the rate at window/tick of what was asked.  The writer clamps
 * every window to two ticks, and the rate holds.
 */
static void test_gcra_small_burst(struct sl_maps *m)
{
	__u64 min_ns = sl_gcra_min_burst_ns(), tick_ns = min_ns / 2, got;
	struct sl_agent a = {};
	struct sl_config cfg;
	int id;

	TEST_CASE("gcra: bursts under two clock ticks are clamped, the rate holds") {
		CHECK(tick_ns >= 1000000ULL && tick_ns <= 10000000ULL, "tick %llu ns",
		      (unsigned long long)tick_ns);
		CHECK(apply(m, policy_fast) == 0, "apply failed");
		CHECK(sl_maps_read_config(m, &cfg) == 0, "config");
		CHECK(cfg.syn_src_interval_ns == 10000 && cfg.syn_src_burst_ns == min_ns,
		      "syn_per_source interval %llu burst %llu, want 10000 and %llu",
		      (unsigned long long)cfg.syn_src_interval_ns,
		      (unsigned long long)cfg.syn_src_burst_ns, (unsigned long long)min_ns);
		id = sl_maps_agent_id(m, "bot");
		CHECK(id > 0 && !bpf_map_lookup_elem(m->agents, &id, &a), "agent bot");
		CHECK(a.pkt_interval_ns == 10000 && a.pkt_burst_ns == min_ns,
		      "packets interval %llu burst %llu", (unsigned long long)a.pkt_interval_ns,
		      (unsigned long long)a.pkt_burst_ns);
		got = admitted_per_second(a.pkt_interval_ns, a.pkt_burst_ns, tick_ns);
		CHECK(got >= 99000 && got <= 100000 + 2 * min_ns / 10000,
		      "admitted %llu a second at a %llu ns tick, want 100000",
		      (unsigned long long)got, (unsigned long long)tick_ns);
		/* What the unclamped window (10 units, 100 us) admitted: a tenth or less. */
		got = admitted_per_second(10000, 100000, tick_ns);
		CHECK(got <= 10000, "unclamped window admitted %llu", (unsigned long long)got);
	}
}

/* The SYN buckets' key: drawn at the first load, odd factors, never redrawn. */
static void test_syn_seed(struct sl_maps *m)
{
	struct sl_config first, again;

	TEST_CASE("syn bucket key drawn once and kept across reloads") {
		CHECK(sl_maps_read_config(m, &first) == 0, "config");
		CHECK(first.syn_seed.mul[0] & first.syn_seed.mul[1] & first.syn_seed.mul[2] &
		      first.syn_seed.mul[3] & 1, "factors not all odd (key not drawn)");
		CHECK(apply(m, policy_b) == 0 && sl_maps_read_config(m, &again) == 0, "reload");
		CHECK(!memcmp(&first.syn_seed, &again.syn_seed, sizeof(first.syn_seed)),
		      "key redrawn by a reload: every bucket moved");
	}
}

static void cleanup(struct sluice_bpf *skel)
{
	char cmd[256];

	if (skel)
		sluice_bpf__destroy(skel);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pin_dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", pin_dir);
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct sluice_bpf *skel = NULL;
	struct sl_maps m;
	int err = -1;

	(void)argc;
	test_init(argv[0]);
	sl_log_hook_libbpf();
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/sluice-test-maps-%d", getpid());
	opts.pin_root_path = pin_dir;
	TEST_CASE("maps load and pin under a private directory") {
		CHECK(sl_ensure_bpffs() == 0, "bpffs");
		CHECK(mkdir(pin_dir, 0700) == 0, "mkdir %s: %s", pin_dir, strerror(errno));
		skel = sluice_bpf__open_opts(&opts);
		CHECK(skel, "open");
		err = skel ? sluice_bpf__load(skel) : -1;
		CHECK(err == 0, "load %d", err);
		if (!err)
			err = sl_maps_open(&m, pin_dir);
		if (!err)
			xdp_prog_fd = bpf_program__fd(skel->progs.sluice_xdp);
		CHECK(err == 0, "open pinned maps %d", err);
	}
	if (!err) {
		test_apply(&m);
		test_syn_seed(&m);
		test_diff_keeps_shared_entries(&m);
		test_reload_covering_prefixes(&m);
		test_directory(&m);
		test_monitor_order(&m);
		test_capacity_of_the_union(&m);
		test_same_policy_writes_nothing(&m);
		test_ids_stable_and_removed(&m);
		test_block_and_ban(&m);
		test_exact_per_family(&m);
		test_filter_collision(&m);
		test_prefix_lengths(&m);
		test_conn_tags(&m);
		test_conn_tag_counts(&m);
		test_many_agents(&m);
		test_gcra_small_burst(&m);
		sl_maps_close(&m);
	}
	cleanup(skel);
	return test_finish();
}

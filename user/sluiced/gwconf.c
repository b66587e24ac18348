// SPDX-License-Identifier: GPL-2.0-only
/*
 * gwconf.c - build the daemon's configuration from a checked policy (see
 * gwconf.h).  The checker already wrote every default into pol->json, so
 * this reads values without inventing any.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cjson/cJSON.h>

#include "gwconf.h"

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gw_policy *current;
static unsigned long next_generation = 1;

static unsigned int num(const cJSON *obj, const char *key, unsigned int dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? (unsigned int)v->valuedouble : dflt;
}

static const char *str(const cJSON *obj, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

int gw_parse_url(const char *url, struct gw_backend *b)
{
	const char *auth, *slash;
	size_t auth_len;

	if (strncmp(url, "http://", 7))
		return -EINVAL;
	auth = url + 7;
	slash = strchr(auth, '/');
	auth_len = slash ? (size_t)(slash - auth) : strlen(auth);
	if (!auth_len || auth_len >= sizeof(b->authority) ||
	    (slash && strlen(slash) >= sizeof(b->path)))
		return -EINVAL;	/* cut short, it would name another endpoint */
	snprintf(b->authority, sizeof(b->authority), "%.*s", (int)auth_len, auth);
	snprintf(b->path, sizeof(b->path), "%s", slash ? slash : "/");
	return net_parse_hostport(b->authority, &b->addr);
}

/* The policy checker wrote the defaults into the tree; these fallbacks
 * serve --backend, whose one-field object has none. */
static int backend_from_json(const char *name, const cJSON *item, struct gw_backend *b)
{
	unsigned int timeout = num(item, "timeout_ms", 30000);

	snprintf(b->name, sizeof(b->name), "%s", name);
	if (gw_parse_url(str(item, "url", ""), b))
		return -EINVAL;
	snprintf(b->sse_path, sizeof(b->sse_path), "%s", str(item, "sse_path", "/sse"));
	b->timeout_ms = timeout;
	b->connect_timeout_ms = num(item, "connect_timeout_ms", timeout < 1000 ? timeout : 1000);
	b->pool_size = num(item, "pool_size", 64);
	b->failure_threshold = num(item, "failure_threshold", 5);
	b->open_ms = num(item, "open_ms", 5000);
	b->retry_after_s = num(item, "retry_after_s", 1);
	return 0;
}

/* --backend URL replaces the policy's backends with one called "default". */
static int backends_from_override(struct gw_config *cfg, const char *url)
{
	struct gw_backend *b = calloc(1, sizeof(*b));
	cJSON *item = cJSON_CreateObject();
	int err = -ENOMEM;

	if (b && item && cJSON_AddStringToObject(item, "url", url))
		err = backend_from_json("default", item, b);
	cJSON_Delete(item);
	if (err) {
		free(b);
		return err;
	}
	cfg->backends = b;
	cfg->n_backends = 1;
	return 0;
}

static int backends_from_json(struct gw_config *cfg, const cJSON *root)
{
	const cJSON *backends = cJSON_GetObjectItemCaseSensitive(root, "backends"), *item;
	const char *dflt = str(root, "default_backend", NULL);
	size_t n = (size_t)cJSON_GetArraySize(backends), i = 0;

	cfg->backends = calloc(n ? n : 1, sizeof(*cfg->backends));
	if (!cfg->backends)
		return -ENOMEM;
	cJSON_ArrayForEach(item, backends) {
		if (backend_from_json(item->string, item, &cfg->backends[i]))
			return -EINVAL;
		if (dflt && !strcmp(dflt, item->string))
			cfg->default_backend = i;
		i++;
	}
	cfg->n_backends = i;
	return i ? 0 : -EINVAL;
}

static char **strings_from_json(const cJSON *arr, size_t *n)
{
	char **v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*v));
	const cJSON *item;

	*n = 0;
	if (!v)
		return NULL;
	cJSON_ArrayForEach(item, arr)
		if (cJSON_IsString(item))
			v[(*n)++] = strdup(item->valuestring);
	return v;
}

static void limits_from_json(struct gw_config *cfg, const cJSON *root)
{
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(root, "limits");

	cfg->max_header_bytes = num(lim, "max_header_bytes", 16384);
	cfg->max_body_bytes = num(lim, "max_body_bytes", 1 << 20);
	cfg->header_timeout_ms = num(lim, "header_timeout_ms", 10000);
	cfg->idle_timeout_ms = num(lim, "idle_timeout_ms", 60000);
	cfg->write_timeout_ms = num(lim, "write_timeout_ms", 10000);
	cfg->client_buffer_bytes = num(lim, "client_buffer_bytes", 1 << 20);
	cfg->max_connections = num(lim, "max_connections", 4096);
	cfg->max_connections_per_source = num(lim, "max_connections_per_source",
					      cfg->max_connections < 64 ? cfg->max_connections : 64);
	cfg->sessions.max = num(lim, "max_sessions", 65536);
	cfg->sessions.idle_ms = num(lim, "session_idle_ms", 3600000);
}

static void context_headers_from_json(struct gw_config *cfg, const cJSON *root)
{
	static const char *const members[GW_CTX_MAX] = { "agent", "customer", "plan" };
	static const char *const defaults[GW_CTX_MAX] = {
		"X-Sluice-Agent", "X-Sluice-Customer", "X-Sluice-Plan"
	};
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(root, "context_headers");

	for (int i = 0; i < GW_CTX_MAX; i++)
		snprintf(cfg->context_headers[i], sizeof(cfg->context_headers[i]), "%s",
			 str(ctx, members[i], defaults[i]));
}

/* What a local client legitimately sends as Host: loopback names, bare or
 * with the listener's port, and the listen address as written. */
static int own_hosts_from_listen(struct gw_config *cfg)
{
	static const char *const names[] = { "127.0.0.1", "localhost", "[::1]" };
	int port = net_addr_port(&cfg->listen);
	char buf[96];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(buf, sizeof(buf), "%s:%d", names[i], port);
		cfg->own_hosts[cfg->n_own_hosts++] = strdup(buf);
		cfg->own_hosts[cfg->n_own_hosts++] = strdup(names[i]);
	}
	cfg->own_hosts[cfg->n_own_hosts++] = strdup(cfg->listen_str);
	for (size_t i = 0; i < cfg->n_own_hosts; i++)
		if (!cfg->own_hosts[i])
			return -ENOMEM;
	return 0;
}

/* usage: the ledger; --usage-db wins over usage.path. */
/* Whether journald listens: its socket file can outlive it (a stopped
 * journald leaves it behind), so a connect says, not the file. */
static bool journald_listens(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = GW_JOURNAL_SOCKET };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa));

	if (fd >= 0)
		close(fd);
	return ok;
}

/* journald unset: on when journald listens (a host under systemd). */
static void audit_from_json(struct gw_config *cfg, const cJSON *a,
			    const struct gw_overrides *ov)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(a, "journald");

	snprintf(cfg->audit_path, sizeof(cfg->audit_path), "%s", str(a, "jsonl", ""));
	cfg->audit_journald = cJSON_IsBool(j) ? cJSON_IsTrue(j) :
			      journald_listens();
	snprintf(cfg->audit_spool, sizeof(cfg->audit_spool), "%s", ov && ov->audit_spool ?
		 ov->audit_spool : str(a, "spool", GW_AUDIT_SPOOL));
}

static void usage_from_json(struct gw_config *cfg, const cJSON *root,
			    const struct gw_overrides *ov)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");

	snprintf(cfg->usage_path, sizeof(cfg->usage_path), "%s", ov && ov->usage_db ?
		 ov->usage_db : str(u, "path", USAGE_DEFAULT_PATH));
	cfg->usage_retention_days = num(u, "retention_days", USAGE_DEFAULT_RETENTION_DAYS);
	cfg->usage_queue = num(u, "queue", USAGE_DEFAULT_QUEUE);
}

static int config_from_policy(struct gw_config *cfg, const struct policy *pol,
			      const struct gw_overrides *ov, char *err, size_t errlen)
{
	const cJSON *root = pol->json;
	const char *listen = ov && ov->listen ? ov->listen : str(root, "listen", "127.0.0.1:8470");
	int ret;

	snprintf(cfg->listen_str, sizeof(cfg->listen_str), "%s", listen);
	if (net_parse_hostport(listen, &cfg->listen) ||
	    net_parse_hostport(str(root, "admin", "127.0.0.1:8471"), &cfg->admin)) {
		snprintf(err, errlen, "listen address '%s' is not host:port", listen);
		return -EINVAL;
	}
	limits_from_json(cfg, root);
	context_headers_from_json(cfg, root);
	cfg->workers = num(root, "workers", 0);
	snprintf(cfg->mcp_path, sizeof(cfg->mcp_path), "%s", str(root, "mcp_path", "/mcp"));
	cfg->limited_jsonrpc = !strcmp(str(root, "limited_answer", "http"), "jsonrpc");
	cfg->learn_sources = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(root, "kernel"), "learn_sources"));
	cfg->learn_idle_s = num(cJSON_GetObjectItemCaseSensitive(root, "kernel"), "learn_idle_s",
				600);
	audit_from_json(cfg, cJSON_GetObjectItemCaseSensitive(root, "audit"), ov);
	usage_from_json(cfg, root, ov);
	ret = ov && ov->backend_url ? backends_from_override(cfg, ov->backend_url) :
				      backends_from_json(cfg, root);
	if (ret) {
		snprintf(err, errlen, "backend URL must be http://host:port/path with a numeric host");
		return ret;
	}
	cfg->allowed_hosts = strings_from_json(cJSON_GetObjectItemCaseSensitive(root, "allowed_hosts"),
					       &cfg->n_allowed_hosts);
	cfg->allowed_origins = strings_from_json(
		cJSON_GetObjectItemCaseSensitive(root, "allowed_origins"), &cfg->n_allowed_origins);
	if (!cfg->allowed_hosts || !cfg->allowed_origins)
		return -ENOMEM;
	return own_hosts_from_listen(cfg);
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void gw_policy_free(struct gw_policy *p)
{
	free(p->cfg.backends);
	free_strings(p->cfg.allowed_hosts, p->cfg.n_allowed_hosts);
	free_strings(p->cfg.allowed_origins, p->cfg.n_allowed_origins);
	for (size_t i = 0; i < p->cfg.n_own_hosts; i++)
		free(p->cfg.own_hosts[i]);
	decide_limiter_free(p->limiter);
	esc_table_free(p->esc);
	free(p->agent_slot);
	redact_set_free(p->redact);
	decide_model_free(p->model);
	free(p->prm_json);
	if (p->have_ident)
		ident_ctx_free(&p->ident);
	policy_free(p->pol);
	free(p);
}

/* The metadata a client reads to learn where its token comes from. */
static int prm_build(struct gw_policy *p)
{
	const cJSON *auth = cJSON_GetObjectItemCaseSensitive(p->pol->json, "auth");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(auth, "resource");
	const cJSON *as = cJSON_GetObjectItemCaseSensitive(auth, "authorization_servers");
	cJSON *o = cJSON_CreateObject();
	char own[400];

	snprintf(own, sizeof(own), "http://%s%s", p->cfg.listen_str, p->cfg.mcp_path);
	if (!o || !cJSON_AddStringToObject(o, "resource", cJSON_IsString(res) ?
					   res->valuestring : own) ||
	    !cJSON_AddItemToObject(o, "authorization_servers", cJSON_IsArray(as) ?
				   cJSON_Duplicate(as, true) : cJSON_CreateArray()) ||
	    !cJSON_AddItemToObject(o, "bearer_methods_supported",
				   cJSON_CreateStringArray((const char *[]){ "header" }, 1))) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	p->prm_json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return p->prm_json ? 0 : -ENOMEM;
}

/* Identity and decision, compiled once per policy: a jwks_file that cannot
 * be read now refuses the whole policy (reload keeps the running one). */
static int build_decision(struct gw_policy *p, char *err, size_t errlen)
{
	char why[256] = "";
	int rc;

	rc = ident_ctx_init(&p->ident, p->pol, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "auth: %s", why[0] ? why : strerror(-rc));
		return rc;
	}
	p->have_ident = true;
	rc = decide_model_build(p->pol, &p->model, NULL);
	if (rc) {
		snprintf(err, errlen, "cannot compile the decision model: %s", strerror(-rc));
		return rc;
	}
	rc = redact_build(p->pol, &p->redact, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "%s", rc == -EINVAL ? why : "out of memory");
		return rc;
	}
	p->limiter = decide_limiter_new(p->model);
	p->esc = esc_table_new(p->pol);
	rc = p->limiter && p->esc ? prm_build(p) : -ENOMEM;
	if (rc)
		snprintf(err, errlen, "out of memory");
	return rc;
}

struct gw_policy *gw_policy_build(struct policy *pol, const struct gw_overrides *ov,
				  char *err, size_t errlen)
{
	struct gw_policy *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "out of memory");
		policy_free(pol);
		return NULL;
	}
	p->pol = pol;
	atomic_init(&p->refs, 1);
	if (config_from_policy(&p->cfg, pol, ov, err, errlen) || build_decision(p, err, errlen)) {
		gw_policy_free(p);
		return NULL;
	}
	return p;
}

struct gw_policy *gw_policy_ref(struct gw_policy *p)
{
	atomic_fetch_add(&p->refs, 1);
	return p;
}

void gw_policy_put(struct gw_policy *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		gw_policy_free(p);
}

struct gw_policy *gw_policy_current(void)
{
	struct gw_policy *p;

	pthread_mutex_lock(&current_lock);
	p = current ? gw_policy_ref(current) : NULL;
	pthread_mutex_unlock(&current_lock);
	return p;
}

/* Takes over the caller's reference; the old policy lives while requests hold it. */
void gw_policy_install(struct gw_policy *p)
{
	struct gw_policy *old;

	pthread_mutex_lock(&current_lock);
	p->generation = next_generation++;
	old = current;
	/* Under the lock: no request sees @p before the state is in it.  A call
	 * that a request holding @old counts from now on is not carried. */
	decide_limiter_carry(p->limiter, old ? old->limiter : NULL);
	esc_table_carry(p->esc, old ? old->esc : NULL);
	current = p;
	pthread_mutex_unlock(&current_lock);
	gw_policy_put(old);
}

void gw_policy_uninstall(void)
{
	struct gw_policy *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = NULL;
	pthread_mutex_unlock(&current_lock);
	gw_policy_put(old);
}

const struct gw_backend *gw_find_backend(const struct gw_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_backends; i++)
		if (!strcmp(cfg->backends[i].name, name))
			return &cfg->backends[i];
	return NULL;
}

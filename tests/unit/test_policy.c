// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_policy.c - policy parsing and checking (user/policy.c and helpers).
 *
 * The example policies must check clean; every file of the bad-input
 * corpus (tests/unit/policy_cases/) must produce exactly one error, at an
 * exact line:column, with an exact message fragment (exactly one, so that a
 * change causing cascades of follow-on errors fails too).  Prefix parsing,
 * limits and robustness against truncated input are covered as well.
 *
 * Run from the repository root, or set SL_REPO to it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cjson/cJSON.h>

#include "check.h"
#include "policy/policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *repo = ".";

static const char *repo_path(const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", repo, rel);
	return buf;
}

/* The file in a buffer of exactly its size, no NUL after it: ASan then
 * catches any read past the end of the text. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc(size ? (size_t)size : 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

/* Parses @text given as a C string (test-built policies). */
static int parse_str(const char *text, struct policy **pol, struct pol_errors *errs)
{
	return policy_parse(text, strlen(text), pol, errs);
}

static bool has_error(const struct pol_errors *errs, int line, int col, const char *msg)
{
	for (size_t i = 0; i < errs->n; i++)
		if (errs->v[i].line == line && errs->v[i].col == col && strstr(errs->v[i].msg, msg))
			return true;
	return false;
}

static const char *first_msg(const struct pol_errors *errs)
{
	return errs->n ? errs->v[0].msg : "(none)";
}

/* --- the example policies -------------------------------------------------- */

static struct policy *load_example(const char *rel, struct pol_errors *errs)
{
	struct policy *pol = NULL;
	char path[512];

	policy_load_file(repo_path(rel, path, sizeof(path)), &pol, errs);
	return pol;
}

static const struct pol_agent *find_agent(const struct policy *pol, const char *name)
{
	for (size_t i = 0; i < pol->n_agents; i++)
		if (!strcmp(pol->agents[i].name, name))
			return &pol->agents[i];
	return NULL;
}

static void test_example(void)
{
	TEST_CASE("policies/example.json checks clean and converts") {
		struct pol_errors errs = {};
		struct policy *pol = load_example("policies/example.json", &errs);
		const struct pol_agent *claude = pol ? find_agent(pol, "claude-assistant") : NULL;
		const struct pol_plan *pro = pol ? policy_find_plan(pol, "pro") : NULL;
		char buf[SL_PREFIX_STRLEN];

		CHECK(pol && errs.n == 0, "%zu errors, first: %s", errs.n, first_msg(&errs));
		if (pol) {
			CHECK(pol->kernel.n_ports == 1 && pol->kernel.ports[0] == 8470, "ports");
			CHECK(pol->kernel.n_deny == 3, "deny %zu", pol->kernel.n_deny);
			CHECK(pol->kernel.n_ifaces == 1 && pol->kernel.ifaces[0].mode == POL_MODE_GENERIC,
			      "ifaces");
			CHECK(pol->kernel.syn_per_source.per_sec == 100 &&
			      pol->kernel.syn_per_source.burst == 200, "syn_per_source");
			CHECK(pol->kernel.events_per_sec == 1000, "events");
			CHECK(pol->n_plans == 3 && pol->n_agents == 3, "%zu plans %zu agents",
			      pol->n_plans, pol->n_agents);
			CHECK(pro && pro->syn.per_sec == 20 && pro->bytes.burst == 8388608, "plan pro");
			CHECK(!policy_find_plan(pol, "gold"), "no plan gold");
			CHECK(claude && !strcmp(claude->plan, "pro") && claude->ban_action == POL_BAN_RST &&
			      claude->n_keys == 1 && claude->n_sources == 2, "claude-assistant");
			CHECK(claude && !strcmp(claude->key_sha256[0], "1f0247d311289d2506bed7b9"
						"0371d7a85bc9bd7365cd049ff5a4cb3848206d2e"), "key");
			CHECK(claude && !strcmp(sl_prefix_format(&claude->sources[1], buf, sizeof(buf)),
						"198.18.0.2/32"), "source %s", buf);
		}
		policy_free(pol);
		pol_errors_free(&errs);
	}
	TEST_CASE("policies/minimal.json checks clean; defaults are written into json") {
		struct pol_errors errs = {};
		struct policy *pol = load_example("policies/minimal.json", &errs);
		const cJSON *json = pol ? pol->json : NULL;
		const cJSON *limits = cJSON_GetObjectItemCaseSensitive(json, "limits");
		const cJSON *main_backend = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(json, "backends"), "main");

		CHECK(pol && errs.n == 0, "%zu errors, first: %s", errs.n, first_msg(&errs));
		CHECK(cJSON_GetObjectItemCaseSensitive(limits, "max_header_bytes") &&
		      cJSON_GetObjectItemCaseSensitive(limits, "max_header_bytes")->valuedouble == 16384,
		      "limits default");
		CHECK(cJSON_GetObjectItemCaseSensitive(limits, "max_connections_per_source"),
		      "per-source default");
		CHECK(cJSON_GetObjectItemCaseSensitive(main_backend, "connect_timeout_ms"),
		      "connect_timeout_ms default");
		CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "listen")) ?: "",
			      "127.0.0.1:8470"), "listen default");
		CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json,
						   "default_backend")) ?: "", "main"),
		      "the sole backend is the default");
		CHECK(pol && pol->kernel.events_per_sec == 1000 && !pol->kernel.monitor &&
		      pol->n_agents == 0, "kernel defaults");
		policy_free(pol);
		pol_errors_free(&errs);
	}
}

/* --- policies that must check clean ---------------------------------------- */

#define BACKEND "\"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" } }"

static const struct {
	const char *name;
	const char *text;
} good_cases[] = {
	{ "IPv6 listener and admin", "{ \"version\": 1, \"listen\": \"[::1]:8470\", "
	  "\"admin\": \"[::1]:8471\", " BACKEND " }" },
	{ "backend host name, no port", "{ \"version\": 1, \"backends\": { \"b\": "
	  "{ \"url\": \"http://mcp-backend.internal/mcp\" } } }" },
	{ "agent by key only, name with dots", "{ \"version\": 1, " BACKEND ", \"agents\": "
	  "{ \"gpt-4.1\": { \"keys_sha256\": [\"700895b0fe2f2eda7001adf2792ad7ea58e4bf22"
	  "dc04b16d2ec35cbd1850c874\"] } } }" },
	{ "nested agent sources (longest match wins)", "{ \"version\": 1, " BACKEND ", "
	  "\"agents\": { \"fleet\": { \"sources\": [\"198.18.0.0/15\"] }, "
	  "\"special\": { \"sources\": [\"198.18.0.7\"] } } }" },
	{ "deny inside an agent's wider source", "{ \"version\": 1, " BACKEND ", "
	  "\"kernel\": { \"deny\": [\"198.18.0.66\"] }, "
	  "\"agents\": { \"fleet\": { \"sources\": [\"198.18.0.0/24\"] } } }" },
	{ "namespaced tool, argument rules", "{ \"version\": 1, " BACKEND ", \"tools\": "
	  "{ \"crm/lookup\": { \"class\": \"read\", \"arguments\": { \"ids\": { \"type\": "
	  "\"array\", \"max_length\": 10, \"default\": [] }, \"n\": { \"type\": \"number\", "
	  "\"minimum\": 0.5, \"maximum\": 2, \"enum\": [0.5, 1, 2], \"default\": 1 } } } } }" },
	{ "unknown_tools read: globs need not match", "{ \"version\": 1, " BACKEND ", "
	  "\"unknown_tools\": \"read\", \"tools\": { \"a\": { \"class\": \"read\" } }, "
	  "\"agents\": { \"x\": { \"sources\": [\"127.0.0.2\"], \"tools\": { \"allow\": "
	  "[\"legacy_tool\"] } } } }" },
	{ "monitor mode, v6 SYN limits, tc attach", "{ \"version\": 1, " BACKEND ", "
	  "\"kernel\": { \"monitor\": true, \"interfaces\": [ { \"name\": \"veth-sl0\", "
	  "\"mode\": \"tc\" } ], \"deny\": [\"::/0\"], \"syn_per_source\": { \"rate\": 1 } } }" },
};

static void test_good(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(good_cases); i++) {
		char name[200];

		snprintf(name, sizeof(name), "good: %.120s", good_cases[i].name);
		TEST_CASE(name) {
			struct pol_errors errs = {};
			struct policy *pol = NULL;
			int ret = parse_str(good_cases[i].text, &pol, &errs);

			CHECK(ret == 0 && pol, "ret %d, %zu errors, first: %s", ret, errs.n,
			      first_msg(&errs));
			policy_free(pol);
			pol_errors_free(&errs);
		}
	}
}

/* --- the bad-input corpus ---------------------------------------------------- */

struct bad_case {
	const char *file;	/* in tests/unit/policy_cases/ */
	int line, col;
	const char *msg;	/* a fragment of the one error expected */
};

static const struct bad_case bad_cases[] = {
	/* syntax */
	{ "syntax_missing_comma.json", 3, 3, "invalid JSON: expected ',' or '}', got '\"'" },
	{ "syntax_trailing_comma.json", 4, 1, "invalid JSON: expected a string key, got '}' "
	  "(no trailing commas in JSON)" },
	{ "syntax_unterminated_string.json", 3, 13, "invalid JSON: unterminated string "
	  "(missing closing '\"' before the end of the line?)" },
	{ "syntax_truncated.json", 5, 1, "invalid JSON: expected ',' or '}', got end of input" },
	{ "syntax_bad_literal.json", 4, 26, "invalid JSON: expected a value, got 'ture'" },
	{ "syntax_missing_colon.json", 3, 12, "invalid JSON: expected ':' after the key, got '{'" },
	{ "syntax_bad_escape.json", 4, 48, "invalid JSON: invalid escape in string" },
	{ "syntax_bad_unicode_escape.json", 4, 73, "invalid JSON: invalid escape in string "
	  "(\\u takes 4 hex digits)" },
	{ "syntax_leading_zero.json", 4, 35, "invalid JSON: malformed number '08470'" },
	{ "syntax_control_byte.json", 4, 39, "invalid JSON: control byte 0x01" },
	{ "syntax_empty.json", 1, 1, "invalid JSON: expected a JSON value, got end of input" },
	{ "trailing_garbage.json", 5, 1, "invalid JSON: unexpected text after the top-level value" },
	{ "duplicate_key.json", 7, 5, "kernel: duplicate key \"monitor\" (first at 5:5)" },
	{ "dup_key_nested.json", 8, 68, "tools.update_account.arguments.changes.default: "
	  "duplicate key \"tier\" (first at 8:53)" },
	{ "root_not_object.json", 1, 1, "expected an object, got an array" },
	{ "bom_columns.json", 1, 14, "version: expected 1, got 3" },
	/* fields and types */
	{ "unknown_field.json", 5, 5, "kernel.protected_port: unknown field (did you mean "
	  "\"protected_ports\"?); allowed: interfaces, protected_ports, monitor, deny" },
	{ "wrong_type.json", 4, 26, "kernel.monitor: expected true or false, got \"yes\"" },
	{ "missing_required.json", 4, 13, "backends.main: missing required field \"url\"" },
	{ "missing_version.json", 1, 1, "missing required field \"version\"" },
	{ "version_2.json", 2, 14, "version: expected 1, got 2" },
	{ "tool_class_missing.json", 4, 27, "tools.run_query: missing required field \"class\"" },
	{ "cost_negative.json", 4, 54, "tools.run_query.cost: expected a number 0..1000000000, got -1" },
	{ "budget_action.json", 4, 62, "plans.free.budget.action: expected one of \"deny\", "
	  "\"report\", got \"warn\"" },
	{ "rate_missing.json", 4, 33, "kernel.syn_per_source: missing required field \"rate\"" },
	{ "rate_zero.json", 4, 57, "plans.free.kernel.packets.rate: expected an integer "
	  "1..1000000000, got 0" },
	{ "period_empty.json", 4, 56, "tools.run_query.limits: expected at least one of per_second" },
	{ "per_source_over_max.json", 4, 69, "limits.max_connections_per_source: 500 exceeds "
	  "max_connections (100)" },
	/* kernel */
	{ "port_string.json", 5, 31, "kernel.protected_ports[1]: expected an integer port "
	  "1..65535, got \"http\"" },
	{ "port_range.json", 4, 35, "kernel.protected_ports[0]: expected an integer port "
	  "1..65535, got 70000" },
	{ "port_duplicate.json", 6, 25, "kernel.protected_ports[2]: duplicate port 8470 "
	  "(first at 5:25)" },
	{ "bad_cidr.json", 4, 40, "kernel.deny[1]: expected an address or CIDR prefix, got "
	  "\"192.0.2.300\": not an IPv4 address" },
	{ "host_bits.json", 4, 24, "kernel.deny[0]: expected an address or CIDR prefix, got "
	  "\"192.0.2.7/24\": host bits set below the prefix length (did you mean 192.0.2.0/24?)" },
	{ "prefix_length.json", 4, 24, "prefix length must be a number 0..128" },
	{ "mapped_v6.json", 4, 24, "IPv4-mapped IPv6 address; write the IPv4 form" },
	{ "deny_duplicate.json", 4, 41, "kernel.deny[1]: duplicate prefix 2001:db8::/32 (first at 4:24)" },
	{ "bad_ifname.json", 4, 41, "kernel.interfaces[0].name: expected an interface name "
	  "(1..15 characters, no '/' or ':'), got \"enp0s31f6-uplink0\": 17 characters, at most 15" },
	{ "bad_mode.json", 4, 57, "kernel.interfaces[0].mode: expected one of \"native\", "
	  "\"generic\", \"tc\", got \"xdp\"" },
	{ "iface_duplicate.json", 4, 51, "kernel.interfaces[1]: duplicate interface \"eth0\" "
	  "(first at 4:31)" },
	/* listeners and backends */
	{ "listen_hostname.json", 3, 13, "listen: expected an address:port" },
	{ "listen_admin_clash.json", 4, 12, "admin: \"127.0.0.1:8470\" overlaps listen "
	  "\"0.0.0.0:8470\"" },
	{ "https_backend.json", 3, 34, "backends.main.url: expected an http:// URL "
	  "(http://127.0.0.1:9000/mcp), got \"https://mcp.example.com/mcp\": https is not supported" },
	{ "unknown_backend.json", 5, 50, "tools.get_pricing.backend: unknown backend \"billing\"; "
	  "defined backends: main" },
	{ "unknown_default_backend.json", 4, 22, "default_backend: unknown backend \"primary\"" },
	{ "default_backend_missing.json", 1, 1, "missing required field \"default_backend\" "
	  "(needed with more than one backend)" },
	/* agents */
	{ "unknown_plan.json", 6, 48, "agents.bot.plan: unknown plan \"gold\"; defined plans: free, pro" },
	{ "bad_sha256.json", 5, 30, "agents.bot.keys_sha256[0]: expected a SHA-256 digest "
	  "(64 lowercase hex digits)" },
	{ "sha256_length.json", 5, 30, "32 characters, expected 64" },
	{ "agent_name_long.json", 5, 5, "expected an agent name (1..63 characters of "
	  "A-Za-z0-9._-), got \"claude-assistant-for-the-analytics-team-...\": 64 characters, "
	  "at most 63" },
	{ "agent_name_chars.json", 5, 5, "agents[\"claude assistant\"]: expected an agent name "
	  "(1..63 characters of A-Za-z0-9._-), got \"claude assistant\": spaces are not allowed" },
	{ "agent_no_identity.json", 5, 16, "agents.ops-bot: an agent needs keys_sha256 or sources" },
	{ "shared_source.json", 6, 48, "agents.gpt-analyst.sources[1]: source 198.18.0.2/32 is "
	  "already claimed by agent \"claude-assistant\" (at 5:39)" },
	{ "shared_key.json", 6, 38, "agents.gpt-analyst.keys_sha256[0]: key 1f0247d3" },
	{ "source_in_deny.json", 6, 43, "agents.ops-bot.sources[1]: source 198.18.7.0/24 is "
	  "inside kernel.deny entry 198.18.0.0/16 (at 4:40)" },
	{ "glob_no_match.json", 6, 70, "agents.bot.tools.allow[1]: \"run_qurey\" matches no tool" },
	/* auth: API keys and JWT bearer tokens (pol_auth.c, ident_jwk.c) */
	{ "auth_resource_missing.json", 4, 11, "auth: missing required field \"resource\": "
	  "with \"jwt\", tokens must name this resource in \"aud\" (RFC 8707)" },
	{ "auth_resource_fragment.json", 5, 17, "auth.resource: expected a resource URI "
	  "(https://mcp.example.com/mcp), got \"http://127.0.0.1:8470/mcp#top\": a resource URI "
	  "has no query or fragment (RFC 8707)" },
	{ "auth_alg_none.json", 10, 26, "auth.jwt.issuers.corp.algorithms[0]: expected a JWS "
	  "algorithm (RS256, PS256, ES256, HS256), got \"none\": an unsigned token proves "
	  "nothing: \"none\" is never accepted" },
	{ "audit_relative.json", 4, 23, "audit.jsonl: expected an absolute file path" },
	{ "audit_journald_type.json", 4, 26, "audit.journald: expected true or false, got \"yes\"" },
	{ "audit_spool_relative.json", 4, 23, "audit.spool: expected an absolute file path" },
	{ "budget_no_period.json", 4, 34, "plans.team.budget: expected per_day, per_month or both" },
	{ "customer_name_bad.json", 4, 18, "customers[\"acme corp\"]: expected a customer name" },
	{ "cost_per_kib_negative.json", 4, 59, "tools.search.cost_per_kib: expected a number "
	  "0..1000000000, got -1" },
	{ "redaction_check_bad.json", 5, 54, "redaction[0].check: expected one of \"luhn\", got "
	  "\"mod10\"" },
	{ "limited_answer_bad.json", 4, 21, "limited_answer: expected one of \"http\", "
	  "\"jsonrpc\", got \"json-rpc\"" },
	{ "auth_alg_bad.json", 10, 26, "got \"rs256\": not a JWS algorithm sluice verifies" },
	{ "auth_alg_eddsa.json", 10, 26, "got \"EdDSA\": EdDSA is not supported: libcjose 0.6 "
	  "has no Ed25519 keys" },
	{ "auth_alg_no_key.json", 10, 35, "auth.jwt.issuers.corp.algorithms[1]: no key verifies "
	  "ES256: add one, or drop ES256" },
	{ "auth_hs256_rsa_key.json", 11, 21, "auth.jwt.issuers.corp.keys[0]: an RSA key that "
	  "verifies only RS256 or PS256, which \"algorithms\" does not allow" },
	{ "auth_key_alg_mismatch.json", 11, 421, "auth.jwt.issuers.corp.keys[0].alg: \"HS256\" "
	  "does not fit an RSA key (it verifies RS256 and PS256)" },
	{ "auth_kid_missing.json", 11, 416, "auth.jwt.issuers.corp.keys[1]: several keys: each "
	  "needs a \"kid\"" },
	{ "auth_kid_duplicate.json", 11, 439, "auth.jwt.issuers.corp.keys[1].kid: \"r1\" again "
	  "(first keys[0])" },
	{ "auth_private_key.json", 11, 419, "auth.jwt.issuers.corp.keys[0].d: a private key "
	  "member: give the public key only" },
	{ "auth_rsa_small.json", 11, 55, "auth.jwt.issuers.corp.keys[0].n: a 1024-bit modulus: "
	  "expected 2048..16384 bits" },
	{ "auth_oct_short.json", 11, 42, "auth.jwt.issuers.corp.keys[0].k: a 16-byte secret: "
	  "HS256 needs at least 32 (RFC 7518 3.2)" },
	{ "auth_kty_okp.json", 11, 30, "auth.jwt.issuers.corp.keys[0].kty: \"OKP\" (EdDSA) is not "
	  "supported" },
	{ "auth_no_keys.json", 8, 17, "auth.jwt.issuers.corp: needs \"keys\" or \"jwks_file\"" },
	{ "auth_keys_and_file.json", 12, 11, "auth.jwt.issuers.corp.jwks_file: give \"keys\" or "
	  "\"jwks_file\", not both" },
	{ "auth_jwks_relative.json", 11, 24, "auth.jwt.issuers.corp.jwks_file: expected an absolute file "
	  "path (/etc/sluice/jwks.json), got \"jwks.json\": must be absolute" },
	{ "auth_jwks_unreadable.json", 11, 24, "auth.jwt.issuers.corp.jwks_file: cannot read "
	  "/nonexistent/sluice-test/jwks.json: No such file or directory" },
	{ "auth_duplicate_issuer.json", 14, 21, "auth.jwt.issuers.lab.issuer: issuer "
	  "https://auth.example.com is already issuers.corp (at 8:9)" },
	/* who may call what: agents' and plans' rules, server requests */
	{ "plan_glob_no_match.json", 5, 48, "plans.free.tools.deny[1]: \"exprt_*\" matches no tool" },
	{ "resource_glob_empty.json", 5, 124, "agents.bot.resources.allow[0]: expected a resource "
	  "URI or glob (1..1024 characters; * ? [...] match), got \"\": empty" },
	{ "prompt_glob_duplicate.json", 6, 56, "agents.bot.prompts.deny[2]: duplicate glob "
	  "\"admin_*\" (first at 6:36)" },
	{ "server_requests_bad.json", 5, 128, "agents.bot.server_requests[1]: expected one of "
	  "\"sampling\", \"elicitation\", \"roots\", got \"sample\"" },
	{ "server_requests_duplicate.json", 5, 140, "agents.bot.server_requests[2]: duplicate "
	  "server request \"sampling\" (first at 5:119)" },
	/* context headers towards the backend */
	{ "context_header_token.json", 4, 33, "context_headers.agent: expected a header name "
	  "(1..64 characters of an RFC 9110 token), got \"X Agent\": spaces are not allowed" },
	{ "context_header_underscore.json", 4, 33, "got \"X_Agent\": an underscore: CGI and "
	  "WSGI servers read it as '-'" },
	{ "context_header_hop.json", 4, 32, "context_headers.plan: expected a header name (1..64 "
	  "characters of an RFC 9110 token), got \"Transfer-Encoding\": a hop-by-hop or framing "
	  "header" },
	{ "context_header_mcp.json", 4, 36, "context_headers.customer: expected a header name "
	  "(1..64 characters of an RFC 9110 token), got \"Mcp-Session-Id\": an MCP transport "
	  "header" },
	{ "context_header_owned.json", 4, 33, "got \"authorization\": a header the client, the "
	  "credential or the gateway owns" },
	{ "context_header_duplicate.json", 4, 53, "context_headers.plan: \"x-caller\" is also "
	  "context_headers.agent (header names ignore case)" },
	{ "context_header_default_clash.json", 4, 33, "context_headers.agent: \"X-Sluice-Plan\" "
	  "is also the default of context_headers.plan (header names ignore case)" },
	{ "plan_prompts_unknown_field.json", 5, 28, "plans.free.prompts.alow: unknown field (did "
	  "you mean \"allow\"?); allowed: allow, deny" },
	{ "plan_resources_not_array.json", 5, 39, "plans.free.resources.allow: expected an array, "
	  "got \"file:///data/*\"" },
	/* tools and redaction */
	{ "tool_name_bad.json", 4, 14, "tools[\"run query\"]: expected a tool name" },
	{ "arg_rule_type.json", 7, 52, "tools.run_query.arguments.limit.max_length: applies only "
	  "to string and array arguments, not integer" },
	{ "arg_default_type.json", 7, 63, "tools.run_query.arguments.limit.default: \"ten\": "
	  "expected an integer (the argument's type)" },
	{ "arg_required_default.json", 7, 78, "a required argument cannot have a default" },
	{ "arg_default_not_enum.json", 7, 87, "tools.export_report.arguments.format.default: "
	  "not one of the enum values" },
	{ "scope_spaces.json", 5, 54, "tools.delete_account.scopes[0]: expected an OAuth scope "
	  "(1..128 visible characters, no '\"' or '\\'), got \"accounts:write admin\": spaces are "
	  "not allowed" },
	{ "premium_action_alone.json", 6, 57, "tools.run_query.arguments.explain.premium_action: "
	  "applies only to an argument with \"premium\": true" },
	{ "premium_action_value.json", 6, 74, "tools.run_query.arguments.explain.premium_action: "
	  "expected one of \"deny\", \"upsell\", got \"warn\"" },
	{ "regex_pattern_bad.json", 6, 52, "tools.update_account.arguments.account_id.pattern: "
	  "expected a regular expression, got \"^(acct_[A-Za-z0-9]{8,32}$\": PCRE2: missing "
	  "closing parenthesis at offset 25" },
	{ "regex_deny_bad.json", 6, 73, "tools.run_query.arguments.sql.deny_patterns[1]: expected "
	  "a regular expression, got \"union\\\\s+select)\": PCRE2: unmatched closing "
	  "parenthesis at offset 14" },
	{ "arg_default_pattern.json", 6, 71, "tools.get_dashboard.arguments.range.default: "
	  "\"week\": does not match pattern" },
	{ "unknown_arguments_alone.json", 4, 69, "tools.get_pricing.unknown_arguments: applies "
	  "only to a tool with \"arguments\"" },
	{ "redaction_duplicate.json", 6, 5, "redaction[1]: duplicate rule \"card\" (first at 5:5)" },
	{ "redaction_empty_pattern.json", 4, 47, "redaction[0].pattern: expected a regular "
	  "expression, got \"\": empty" },
	{ "redaction_regex_bad.json", 4, 47, "redaction[0].pattern: expected a regular expression, "
	  "got \"[0-9 -{13,19}\": PCRE2: missing terminating ] for character class at offset 13" },
	/* escalation: bans of agents that keep being refused */
	{ "escalation_no_ban.json", 4, 17, "escalation: missing required field \"ban_s\"" },
	{ "escalation_ban_range.json", 4, 92, "plans.free.escalation.ban_s: expected an integer "
	  "1..604800, got 604801" },
	{ "escalation_within_missing.json", 4, 30, "escalation.limited: missing required field "
	  "\"within_s\"" },
	{ "escalation_no_rule.json", 4, 17, "escalation: expected limited, denied or both" },
	{ "escalation_unknown.json", 4, 19, "escalation.limitd: unknown field (did you mean "
	  "\"limited\"?); allowed: limited, denied, ban_s" },
	/* usage: the ledger */
	{ "usage_retention_range.json", 4, 68, "usage.retention_days: expected an integer "
	  "1..3650, got 0" },
	{ "usage_path_relative.json", 5, 13, "usage.path: expected an absolute file path "
	  "(/etc/sluice/jwks.json), got \"usage.db\": must be absolute" },
	{ "usage_queue_range.json", 4, 23, "usage.queue: expected an integer 1024..1048576, "
	  "got 100" },
};

static void run_bad_case(const struct bad_case *bc)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;
	char rel[256], path[512];
	size_t len = 0;
	char *text;
	int ret;

	snprintf(rel, sizeof(rel), "tests/unit/policy_cases/%s", bc->file);
	text = slurp(repo_path(rel, path, sizeof(path)), &len);
	CHECK(text, "cannot read %.200s", path);
	if (!text)
		return;
	ret = policy_parse(text, len, &pol, &errs);
	CHECK(ret == -EINVAL && !pol, "ret %d", ret);
	CHECK(errs.n == 1, "%zu errors, first %d:%d %s", errs.n,
	      errs.n ? errs.v[0].line : 0, errs.n ? errs.v[0].col : 0, first_msg(&errs));
	CHECK(has_error(&errs, bc->line, bc->col, bc->msg), "want %d:%d \"%s\", got %d:%d \"%s\"",
	      bc->line, bc->col, bc->msg, errs.n ? errs.v[0].line : 0,
	      errs.n ? errs.v[0].col : 0, first_msg(&errs));
	policy_free(pol);
	pol_errors_free(&errs);
	free(text);
}

static void test_bad_files(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		char name[200];

		snprintf(name, sizeof(name), "bad: %.120s -> %d:%d", bad_cases[i].file,
			 bad_cases[i].line, bad_cases[i].col);
		TEST_CASE(name)
			run_bad_case(&bad_cases[i]);
	}
}

/* Several errors in one file: all reported, in file order, each placed. */
static void test_multi_error(void)
{
	static const struct bad_case want[] = {
		{ NULL, 3, 13, "listen: expected an address:port" },
		{ NULL, 5, 64, "backends.main.pool_size: expected an integer 0..4096, got -1" },
		{ NULL, 8, 31, "kernel.protected_ports[1]: expected an integer port 1..65535, got 0" },
		{ NULL, 9, 14, "(did you mean 10.0.0.0/8?)" },
		{ NULL, 10, 47, "kernel.interfaces[0].mode: expected one of" },
		{ NULL, 12, 35, "plans.free.premium: expected true or false, got \"no\"" },
		{ NULL, 14, 48, "agents.bot.plan: unknown plan \"pro\"; defined plans: free" },
		{ NULL, 14, 55, "agents.bot.ban_actoin: unknown field (did you mean \"ban_action\"?)" },
	};

	TEST_CASE("bad: multi_error.json reports all 8 errors in file order") {
		struct pol_errors errs = {};
		struct policy *pol = NULL;
		char path[512];
		int ret = policy_load_file(repo_path("tests/unit/policy_cases/multi_error.json",
						     path, sizeof(path)), &pol, &errs);

		CHECK(ret == -EINVAL && !pol, "ret %d", ret);
		CHECK(errs.n == ARRAY_SIZE(want), "%zu errors", errs.n);
		for (size_t i = 0; i < ARRAY_SIZE(want) && i < errs.n; i++)
			CHECK(errs.v[i].line == want[i].line && errs.v[i].col == want[i].col &&
			      strstr(errs.v[i].msg, want[i].msg), "error %zu: want %d:%d \"%s\", got "
			      "%d:%d \"%s\"", i, want[i].line, want[i].col, want[i].msg,
			      errs.v[i].line, errs.v[i].col, errs.v[i].msg);
		policy_free(pol);
		pol_errors_free(&errs);
	}
}

/* --- limits ------------------------------------------------------------------ */

/* A growing string for generated policies. */
struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = 2 * (t->len + (size_t)n + 1);
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* A policy of @n agents, one a line from line 2 on: agent i is on line i + 2. */
static void agents_text(struct text *t, int n)
{
	*t = (struct text){};
	text_add(t, "{ \"version\": 1, " BACKEND ", \"agents\": {\n");
	for (int i = 0; i < n; i++)
		text_add(t, "%s\"a%d\": { \"sources\": [\"10.%d.%d.1\"] }\n", i ? "," : "", i,
			 i / 256, i % 256);
	text_add(t, "} }");
}

static void test_limits(void)
{
	TEST_CASE("errors stop after 100, with a note") {
		struct text t = {};
		struct pol_errors errs = {};
		struct policy *pol = NULL;

		text_add(&t, "{ \"version\": 1, " BACKEND ", \"kernel\": { \"protected_ports\": [");
		for (int i = 0; i < 150; i++)
			text_add(&t, "%s\"p%d\"", i ? ", " : "", i);
		text_add(&t, "] } }");
		CHECK(parse_str(t.s, &pol, &errs) == -EINVAL, "refused");
		CHECK(errs.n == 101 && errs.v[100].line == 0 &&
		      strstr(errs.v[100].msg, "too many errors"), "%zu errors", errs.n);
		free(t.s);
		pol_errors_free(&errs);
	}
	TEST_CASE("10000 agents check; SL_MAX_AGENTS-1 is the most") {
		struct text t = {};
		struct pol_errors errs = {};
		struct policy *pol = NULL;
		char want[64];

		agents_text(&t, 10000);
		CHECK(parse_str(t.s, &pol, &errs) == 0 && pol && pol->n_agents == 10000,
		      "10000 agents: %zu errors, first %s", errs.n, first_msg(&errs));
		policy_free(pol);
		pol = NULL;
		free(t.s);
		pol_errors_free(&errs);

		agents_text(&t, SL_MAX_AGENTS);
		snprintf(want, sizeof(want), "too many agents (at most %d)", SL_MAX_AGENTS - 1);
		CHECK(parse_str(t.s, &pol, &errs) == -EINVAL, "refused");
		CHECK(errs.n == 1 && has_error(&errs, SL_MAX_AGENTS + 1, 2, want),
		      "%zu errors, first %d:%d %s", errs.n, errs.n ? errs.v[0].line : 0,
		      errs.n ? errs.v[0].col : 0, first_msg(&errs));
		free(t.s);
		pol_errors_free(&errs);
	}
	TEST_CASE("IPv4 prefixes beyond the kernel trie are refused") {
		struct text t = {};
		struct pol_errors errs = {};
		struct policy *pol = NULL;

		text_add(&t, "{ \"version\": 1, " BACKEND ", \"kernel\": { \"deny\": [\n");
		for (int i = 0; i <= SL_MAX_PREFIXES; i++)
			text_add(&t, "%s\"10.%d.%d.0/24\"\n", i ? "," : "", i / 256, i % 256);
		text_add(&t, "] } }");
		CHECK(parse_str(t.s, &pol, &errs) == -EINVAL, "refused");
		CHECK(errs.n == 1 && has_error(&errs, SL_MAX_PREFIXES + 2, 2,
					       "kernel.deny[16384]: too many IPv4 prefixes"),
		      "%zu errors, first %d:%d %s", errs.n, errs.n ? errs.v[0].line : 0,
		      errs.n ? errs.v[0].col : 0, first_msg(&errs));
		free(t.s);
		pol_errors_free(&errs);
	}
}

/* --- API behaviour ------------------------------------------------------------- */

static void test_api(void)
{
	TEST_CASE("policy_load_file: a missing file is one error, -ENOENT") {
		struct pol_errors errs = {};
		struct policy *pol = (struct policy *)&errs;
		int ret = policy_load_file("/nonexistent/sluice.json", &pol, &errs);

		CHECK(ret == -ENOENT && !pol, "ret %d", ret);
		CHECK(errs.n == 1 && errs.v[0].line == 0 && strstr(errs.v[0].msg, "cannot read"),
		      "%s", first_msg(&errs));
		pol_errors_free(&errs);
	}
	TEST_CASE("pol_errors_print: FILE:LINE:COL: error: MSG") {
		struct pol_errors errs = {};
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);

		pol_errors_add(&errs, 3, 5, "kernel.monitor: expected %s", "true or false");
		pol_errors_add(&errs, 0, 0, "cannot read");
		pol_errors_print(&errs, "p.json", f);
		fclose(f);
		CHECK(out && !strcmp(out, "p.json:3:5: error: kernel.monitor: expected true or false\n"
				     "p.json: error: cannot read\n"), "%s", out);
		free(out);
		pol_errors_free(&errs);
	}
	TEST_CASE("policy_parse: errs may be NULL") {
		struct policy *pol = NULL;

		CHECK(policy_parse("{", 1, &pol, NULL) == -EINVAL && !pol, "refused");
		CHECK(policy_parse("{\"version\":1," BACKEND "}", strlen("{\"version\":1," BACKEND "}"),
				   &pol, NULL) == 0 && pol, "accepted");
		policy_free(pol);
	}
	TEST_CASE("paths quote names that hold dots") {
		struct pol_errors errs = {};
		struct policy *pol = NULL;

		parse_str("{ \"version\": 1, " BACKEND ", \"agents\": { \"gpt-4.1\": "
			  "{ \"sources\": [\"127.0.0.2\"], \"plan\": \"x\" } } }", &pol, &errs);
		CHECK(errs.n == 1 && strstr(errs.v[0].msg, "agents[\"gpt-4.1\"].plan: unknown plan"),
		      "%s", first_msg(&errs));
		pol_errors_free(&errs);
	}
}

/*
 * Every truncation of the example is invalid JSON: each must give exactly
 * one positioned syntax error, and (under ASan) never read out of bounds.
 */
static void test_truncations(void)
{
	TEST_CASE("every truncation of example.json: one syntax error, in bounds") {
		char path[512];
		size_t len = 0, bad = 0, last_brace;
		char *text = slurp(repo_path("policies/example.json", path, sizeof(path)), &len);

		CHECK(text, "cannot read %.200s", path);
		for (last_brace = len; text && last_brace > 0 && text[last_brace - 1] != '}'; )
			last_brace--;
		for (size_t n = 0; text && n + 1 < last_brace; n++) {
			struct pol_errors errs = {};
			struct policy *pol = NULL;
			char *copy = malloc(n ? n : 1);
			int ret;

			memcpy(copy, text, n);
			ret = policy_parse(copy, n, &pol, &errs);
			if (ret != -EINVAL || errs.n != 1 || errs.v[0].line < 1 ||
			    strncmp(errs.v[0].msg, "invalid JSON: ", 14)) {
				if (!bad++)
					CHECK(false, "at %zu bytes: ret %d, %zu errors, %s", n, ret,
					      errs.n, first_msg(&errs));
			}
			policy_free(pol);
			pol_errors_free(&errs);
			free(copy);
		}
		free(text);
	}
}

/* --- prefixes ------------------------------------------------------------------ */

static const struct {
	const char *text;
	__u32 family, len;
	const char *formatted;
} prefix_ok[] = {
	{ "192.0.2.0/24", SL_AF_INET, 24, "192.0.2.0/24" },
	{ "192.0.2.7", SL_AF_INET, 32, "192.0.2.7/32" },
	{ "0.0.0.0/0", SL_AF_INET, 0, "0.0.0.0/0" },
	{ "255.255.255.255/32", SL_AF_INET, 32, "255.255.255.255/32" },
	{ "198.18.0.0/15", SL_AF_INET, 15, "198.18.0.0/15" },
	{ "2001:db8::/32", SL_AF_INET6, 32, "2001:db8::/32" },
	{ "2001:DB8:0:0::/32", SL_AF_INET6, 32, "2001:db8::/32" },
	{ "::/0", SL_AF_INET6, 0, "::/0" },
	{ "::1", SL_AF_INET6, 128, "::1/128" },
	{ "2001:db8::8000:0/113", SL_AF_INET6, 113, "2001:db8::8000:0/113" },
};

static const struct {
	const char *text;
	const char *why;
} prefix_bad[] = {
	{ "", "empty" },
	{ "1.2.3", "not an IPv4 address" },
	{ "01.2.3.4", "not an IPv4 address" },
	{ "1.2.3.4 ", "not an IPv4 address" },
	{ "1.2.3.4/", "prefix length must be a number 0..32" },
	{ "1.2.3.4/33", "prefix length must be a number 0..32" },
	{ "1.2.3.4/-1", "prefix length" },
	{ "1.2.3.0/08", "prefix length" },
	{ "1.2.3.4/32/1", "prefix length" },
	{ "10.0.0.1/8", "host bits set" },
	{ "2001:db8::1/32", "host bits set" },
	{ "2001:db8::/129", "prefix length must be a number 0..128" },
	{ "::ffff:192.0.2.1", "IPv4-mapped" },
	{ "fe80::1%eth0", "not an IPv6 address" },
	{ "2001:db8:::1", "not an IPv6 address" },
	{ "localhost", "not an IPv4 address" },
};

static struct sl_prefix pfx(const char *text)
{
	struct sl_prefix p;

	sl_prefix_parse(text, &p, NULL);
	return p;
}

static const struct {
	const char *outer, *inner;
	bool contains;
} prefix_contains[] = {
	{ "10.0.0.0/8", "10.1.2.3", true },
	{ "10.0.0.0/8", "10.0.0.0/8", true },
	{ "10.0.0.0/8", "11.0.0.0/8", false },
	{ "10.0.0.0/16", "10.0.0.0/8", false },	/* inner wider than outer */
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "0.0.0.0/0", "::1", false },		/* families never mix */
	{ "198.18.0.0/15", "198.19.255.255", true },
	{ "198.18.0.0/16", "198.19.0.1", false },
	{ "2001:db8::/32", "2001:db8:1::/48", true },
	{ "::/0", "2001:db8::1", true },
	{ "2001:db8::/33", "2001:db8:8000::/48", false },	/* differs in bit 33 */
	{ "2001:db8::/127", "2001:db8::1", true },
};

static void test_prefixes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(prefix_ok); i++) {
		char name[128], buf[SL_PREFIX_STRLEN];

		snprintf(name, sizeof(name), "prefix: \"%s\" parses", prefix_ok[i].text);
		TEST_CASE(name) {
			struct sl_prefix p;
			const char *why = "unset";
			int ret = sl_prefix_parse(prefix_ok[i].text, &p, &why);

			CHECK(ret == 0 && !why, "ret %d: %s", ret, why);
			CHECK(p.family == prefix_ok[i].family && p.prefixlen == prefix_ok[i].len,
			      "family %u len %u", p.family, p.prefixlen);
			CHECK(!strcmp(sl_prefix_format(&p, buf, sizeof(buf)), prefix_ok[i].formatted),
			      "formatted %s", buf);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(prefix_bad); i++) {
		char name[128];

		snprintf(name, sizeof(name), "prefix: \"%s\" is refused", prefix_bad[i].text);
		TEST_CASE(name) {
			struct sl_prefix p;
			const char *why = NULL;
			int ret = sl_prefix_parse(prefix_bad[i].text, &p, &why);

			CHECK(ret == -EINVAL, "ret %d", ret);
			CHECK(why && strstr(why, prefix_bad[i].why), "why: %s", why);
		}
	}
	TEST_CASE("prefix: host-bits error leaves the masked prefix to suggest") {
		struct sl_prefix p;
		char buf[SL_PREFIX_STRLEN];

		CHECK(sl_prefix_parse("2001:db8::1/32", &p, NULL) == -EINVAL, "refused");
		CHECK(!strcmp(sl_prefix_format(&p, buf, sizeof(buf)), "2001:db8::/32"), "%s", buf);
		CHECK(sl_prefix_parse("junk", &p, NULL) == -EINVAL && p.family == 0, "zeroed");
	}
	TEST_CASE("prefix: format never overruns a short buffer") {
		struct sl_prefix p = pfx("2001:db8:1234:5678:9abc:def0:1234:5678");
		char buf[8] = "xxxxxxx";

		sl_prefix_format(&p, buf, 6);
		CHECK(strlen(buf) == 5 && buf[6] == 'x', "%s", buf);
		p.family = 99;
		CHECK(!strcmp(sl_prefix_format(&p, buf, sizeof(buf)), "?"), "bad family: %s", buf);
	}
	for (size_t i = 0; i < ARRAY_SIZE(prefix_contains); i++) {
		char name[128];

		snprintf(name, sizeof(name), "prefix: %s %s %s", prefix_contains[i].outer,
			 prefix_contains[i].contains ? "contains" : "does not contain",
			 prefix_contains[i].inner);
		TEST_CASE(name) {
			struct sl_prefix outer = pfx(prefix_contains[i].outer);
			struct sl_prefix inner = pfx(prefix_contains[i].inner);

			CHECK(sl_prefix_contains(&outer, &inner) == prefix_contains[i].contains,
			      "got %d", !prefix_contains[i].contains);
		}
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	if (getenv("SL_REPO"))
		repo = getenv("SL_REPO");
	test_example();
	test_good();
	test_bad_files();
	test_multi_error();
	test_limits();
	test_api();
	test_truncations();
	test_prefixes();
	return test_finish();
}

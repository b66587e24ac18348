// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcp_method.c - the methods MCP defines, their direction and whether they
 * only read (see mcp.h).  Revisions 2024-11-05 to 2026-07-28; a method a
 * later revision adds is MCP_M_OTHER until listed here, which the policy
 * treats as unknown rather than as harmless.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mcp.h"

#define CLIENT MCP_MF_FROM_CLIENT
#define SERVER MCP_MF_FROM_SERVER
#define BOTH (MCP_MF_FROM_CLIENT | MCP_MF_FROM_SERVER)
#define RO MCP_MF_READ_ONLY
#define NAMED MCP_MF_NAMED

static const struct mcp_method_info methods[] = {
	{ "initialize",			MCP_M_INITIALIZE,		CLIENT },
	{ "ping",			MCP_M_PING,			BOTH | RO },
	{ "server/discover",		MCP_M_SERVER_DISCOVER,		CLIENT | RO },
	{ "tools/list",			MCP_M_TOOLS_LIST,		CLIENT | RO },
	/* Reads or writes depending on the tool: its class decides. */
	{ "tools/call",			MCP_M_TOOLS_CALL,		CLIENT | NAMED },
	{ "resources/list",		MCP_M_RESOURCES_LIST,		CLIENT | RO },
	{ "resources/templates/list",	MCP_M_RESOURCES_TEMPLATES_LIST,	CLIENT | RO },
	{ "resources/read",		MCP_M_RESOURCES_READ,		CLIENT | RO | NAMED },
	{ "resources/subscribe",	MCP_M_RESOURCES_SUBSCRIBE,	CLIENT },
	{ "resources/unsubscribe",	MCP_M_RESOURCES_UNSUBSCRIBE,	CLIENT },
	{ "prompts/list",		MCP_M_PROMPTS_LIST,		CLIENT | RO },
	{ "prompts/get",		MCP_M_PROMPTS_GET,		CLIENT | RO | NAMED },
	{ "completion/complete",	MCP_M_COMPLETION_COMPLETE,	CLIENT | RO },
	{ "logging/setLevel",		MCP_M_LOGGING_SET_LEVEL,	CLIENT },
	{ "subscriptions/listen",	MCP_M_SUBSCRIPTIONS_LISTEN,	CLIENT | RO },
	/* Tasks (2025-11-25) run in either direction. */
	{ "tasks/get",			MCP_M_TASKS_GET,		BOTH | RO },
	{ "tasks/result",		MCP_M_TASKS_RESULT,		BOTH | RO },
	{ "tasks/list",			MCP_M_TASKS_LIST,		BOTH | RO },
	{ "tasks/cancel",		MCP_M_TASKS_CANCEL,		BOTH },
	/* Server-to-client requests: an agent sending one is confused or probing. */
	{ "sampling/createMessage",	MCP_M_SAMPLING_CREATE_MESSAGE,	SERVER },
	{ "elicitation/create",		MCP_M_ELICITATION_CREATE,	SERVER },
	{ "roots/list",			MCP_M_ROOTS_LIST,		SERVER | RO },
};

/* Every "notifications/..." method, either way. */
static const struct mcp_method_info notifications = {
	"notifications/", MCP_M_NOTIFICATION, BOTH,
};

const struct mcp_method_info *mcp_method_lookup(const char *method)
{
	if (!method)
		return NULL;
	if (!strncmp(method, notifications.name, strlen(notifications.name)))
		return &notifications;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(method, methods[i].name))
			return &methods[i];
	return NULL;
}

bool mcp_method_is_read_only(const char *method)
{
	const struct mcp_method_info *info = mcp_method_lookup(method);

	return info && (info->flags & MCP_MF_READ_ONLY);
}

/* A byte no MCP method name holds: a control character, a space or a
 * non-ASCII byte (Python's casefold() reads U+017F as 's', U+212A as 'k'). */
static bool foreign_byte(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f;
}

const char *mcp_method_lookalike(const char *method)
{
	size_t n = strlen(notifications.name);

	if (!method || mcp_method_lookup(method))
		return NULL;
	for (const char *p = method; *p; p++)
		if (foreign_byte((unsigned char)*p))
			return "a name with a space, a control character or a non-ASCII letter";
	if (!strncasecmp(method, notifications.name, n))
		return notifications.name;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcasecmp(method, methods[i].name))
			return methods[i].name;
	return NULL;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_err.h - the JSON-RPC errors the demo backend's catalogue answers
 * with: the codes, and struct demo_err, what a pure function fills in
 * instead of a result.  Types only: the tools, the content and the MCP
 * layer all use it, so it sits below all three.
 */
#ifndef SL_DEMO_ERR_H
#define SL_DEMO_ERR_H

/* JSON-RPC 2.0 and MCP error codes. */
#define DEMO_RPC_PARSE_ERROR		-32700
#define DEMO_RPC_INVALID_REQUEST	-32600
#define DEMO_RPC_METHOD_NOT_FOUND	-32601
#define DEMO_RPC_INVALID_PARAMS		-32602
#define DEMO_RPC_INTERNAL_ERROR		-32603
#define DEMO_RPC_SESSION_NOT_FOUND	-32001	/* as the MCP TypeScript SDK answers */
#define DEMO_RPC_RESOURCE_NOT_FOUND	-32002	/* MCP's code for resources/read */

/* A JSON-RPC error to answer instead of a result. */
struct demo_err {
	int code;		/* 0: no error */
	char message[192];
};

#endif

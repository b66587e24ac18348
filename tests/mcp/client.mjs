#!/usr/bin/env node
// tests/mcp/client.mjs - drives an MCP server (server-everything, directly or
// through sluiced) with the official TypeScript SDK client.
//
//   node client.mjs --transport streamable --url http://127.0.0.1:8470/mcp
//   node client.mjs --transport sse        --url http://127.0.0.1:8470/sse
//   options: --header 'Name: value' (repeatable, sent on every request),
//            --timeout MS (per step, default 10000)
//
// Prints one line per case, "PASS: mcp-<transport>: <case>" or
// "FAIL: mcp-<transport>: <case>: <why>", and exits 1 if any case failed.
// Every step is bounded by the timeout; the whole run by a watchdog.

import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import {
	CreateMessageRequestSchema,
	ListRootsRequestSchema,
	McpError,
} from '@modelcontextprotocol/sdk/types.js';

const { values: opt } = parseArgs({
	options: {
		transport: { type: 'string' },
		url: { type: 'string' },
		header: { type: 'string', multiple: true, default: [] },
		timeout: { type: 'string', default: '10000' },
	},
});
if (!['streamable', 'sse'].includes(opt.transport) || !opt.url) {
	console.error('usage: client.mjs --transport streamable|sse --url URL ' +
		"[--header 'Name: value']... [--timeout MS]");
	process.exit(2);
}
const STEP_MS = Number(opt.timeout);
const url = new URL(opt.url);
const tag = `mcp-${opt.transport}`;
const extraHeaders = Object.fromEntries(opt.header.map((h) => {
	const i = h.indexOf(':');
	return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
}));

// Never hang: whatever happens, the process ends.
const watchdog = setTimeout(() => {
	console.log(`FAIL: ${tag}: watchdog: run exceeded ${STEP_MS * 20} ms`);
	process.exit(1);
}, STEP_MS * 20);
watchdog.unref();

// --- HTTP log: every request the transport makes goes through this fetch,
// which adds the extra headers and records method, URL and the answer.
const httpLog = [];
async function loggingFetch(input, init = {}) {
	const headers = new Headers(init.headers);
	for (const [k, v] of Object.entries(extraHeaders))
		headers.set(k, v);
	const res = await fetch(input, { ...init, headers });
	httpLog.push({
		method: init.method ?? 'GET',
		url: String(input),
		status: res.status,
		type: res.headers.get('content-type') ?? '',
		session: res.headers.get('mcp-session-id'),
	});
	return res;
}

// --- the client, with the capabilities that let the server call us back.
const client = new Client(
	{ name: 'sluice-test-client', version: '1.0.0' },
	{ capabilities: { sampling: {}, roots: { listChanged: true } } },
);

// sampling/createMessage (server -> client request, on the POST's stream for
// streamable HTTP): answer with a nonce the tool must hand back to us.
const nonce = randomUUID();
let samplingPrompt = null;
client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
	samplingPrompt = req.params.messages[0]?.content?.text ?? '';
	return {
		model: 'sluice-test-model',
		role: 'assistant',
		content: { type: 'text', text: `sampled ${nonce}` },
	};
});

// roots/list: server-everything asks on its own, 350 ms after initialization,
// unrelated to any request (so on the standalone GET stream for streamable).
const ROOT = 'file:///tmp/sluice-test-root';
let rootsAsked;
const rootsAskedP = new Promise((resolve) => { rootsAsked = resolve; });
client.setRequestHandler(ListRootsRequestSchema, async () => {
	rootsAsked();
	return { roots: [{ uri: ROOT, name: 'sluice-test-root' }] };
});

const transport = opt.transport === 'streamable'
	? new StreamableHTTPClientTransport(url, { fetch: loggingFetch })
	: new SSEClientTransport(url, { fetch: loggingFetch });

// --- case runner
let failures = 0;
function bounded(p, what) {
	let t;
	const timer = new Promise((_, reject) => {
		t = setTimeout(() => reject(new Error(`timed out after ${STEP_MS} ms${what ? ` (${what})` : ''}`)), STEP_MS);
	});
	return Promise.race([p, timer]).finally(() => clearTimeout(t));
}
async function check(name, fn) {
	try {
		await bounded(fn());
		console.log(`PASS: ${tag}: ${name}`);
	} catch (e) {
		failures++;
		const why = String(e?.message ?? e).replace(/\s+/g, ' ').slice(0, 300);
		console.log(`FAIL: ${tag}: ${name}: ${why}`);
	}
}
function assert(cond, why) {
	if (!cond)
		throw new Error(why);
}
const reqOpts = { timeout: STEP_MS };
const textOf = (result) => result.content?.find((c) => c.type === 'text')?.text ?? '';

// --- the cases
await check('initialize', async () => {
	await client.connect(transport, reqOpts);
	const info = client.getServerVersion();
	assert(info?.name === 'mcp-servers/everything', `serverInfo ${JSON.stringify(info)}`);
	const caps = client.getServerCapabilities() ?? {};
	assert(caps.tools && caps.resources && caps.prompts, `capabilities ${JSON.stringify(caps)}`);
});

if (opt.transport === 'streamable') {
	await check('session id', async () => {
		const sid = transport.sessionId;
		assert(typeof sid === 'string' && /^[\x21-\x7e]+$/.test(sid), `session id ${sid}`);
		const init = httpLog.find((r) => r.method === 'POST');
		assert(init?.session === sid, `initialize answer carried session ${init?.session}`);
	});
} else {
	await check('endpoint event', async () => {
		// The endpoint the server announced must be on the URL's own origin
		// (a gateway must rewrite it to its own path) and carry the session.
		const post = httpLog.find((r) => r.method === 'POST');
		assert(post, 'no POST was made');
		const u = new URL(post.url);
		assert(u.origin === url.origin, `POSTs go to ${u.origin}, not ${url.origin}`);
		assert(u.searchParams.get('sessionId'), `no sessionId in ${post.url}`);
		assert(post.status === 202, `POST answered ${post.status}`);
	});
}

await check('ping', () => client.ping(reqOpts));

await check('tools/list', async () => {
	const { tools } = await client.listTools({}, reqOpts);
	const names = tools.map((t) => t.name);
	for (const want of ['echo', 'get-sum', 'trigger-long-running-operation',
		'trigger-sampling-request', 'get-roots-list'])
		assert(names.includes(want), `no ${want} in [${names.join(', ')}]`);
	const echo = tools.find((t) => t.name === 'echo');
	assert(echo.inputSchema?.properties?.message, 'echo has no message argument');
});

await check('tools/call echo', async () => {
	// Quotes, a backslash, a newline and non-ASCII: the JSON must survive
	// a gateway's parsing and re-serialising byte for byte.
	const message = 'héllo "sluice" \\ \n ✓ 🚀';
	const r = await client.callTool({ name: 'echo', arguments: { message } }, undefined, reqOpts);
	assert(!r.isError, `isError: ${textOf(r)}`);
	assert(textOf(r) === `Echo: ${message}`, `got ${JSON.stringify(textOf(r))}`);
});

await check('tools/call get-sum', async () => {
	const r = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40.5 } }, undefined, reqOpts);
	assert(textOf(r) === 'The sum of 2 and 40.5 is 42.5.', `got ${JSON.stringify(textOf(r))}`);
});

await check('tools/call unknown tool is an error', async () => {
	let r;
	try {
		r = await client.callTool({ name: 'no-such-tool', arguments: {} }, undefined, reqOpts);
	} catch (e) {
		assert(e instanceof McpError, `not a JSON-RPC error: ${e.message}`);
		return;		// a JSON-RPC error is fine too
	}
	assert(r.isError, `no error: ${JSON.stringify(r)}`);
});

await check('tools/call long-running with progress', async () => {
	// 4 steps of 0.5 s, a notifications/progress after each, then the result.
	const steps = 4;
	const progress = [];
	const start = Date.now();
	const r = await client.callTool(
		{ name: 'trigger-long-running-operation', arguments: { duration: 2, steps } },
		undefined,
		{
			...reqOpts,
			onprogress: (p) => progress.push({ n: p.progress, at: Date.now() - start }),
			resetTimeoutOnProgress: true,
		},
	);
	const took = Date.now() - start;
	const seen = JSON.stringify(progress.map((p) => p.n));
	assert(/Long running operation completed/.test(textOf(r)), `got ${JSON.stringify(textOf(r))}`);
	assert(progress.length > 0, 'no progress notifications');
	// The SDK client dispatches notifications a microtask later than
	// responses, so the last progress is dropped when it and the result come
	// in one read; the others are 0.5 s apart and must all arrive.
	assert(progress.length >= steps - 1, `progress ${seen}, want ${steps} steps`);
	assert(progress.every((p, i) => i === 0 || p.n > progress[i - 1].n), `progress not increasing: ${seen}`);
	// Relayed as they happen, not buffered until the result: the first
	// notification came well before the end.
	assert(progress[0].at < took - 1000, `first progress at ${progress[0].at} ms of ${took} ms: buffered?`);
});

await check('resources/list + resources/read', async () => {
	const { resources } = await client.listResources({}, reqOpts);
	assert(resources.length > 0, 'no resources');
	const res = resources.find((r) => r.mimeType?.startsWith('text/')) ?? resources[0];
	const { contents } = await client.readResource({ uri: res.uri }, reqOpts);
	assert(contents.length > 0 && contents[0].uri === res.uri, `read ${res.uri}: ${JSON.stringify(contents).slice(0, 100)}`);
	assert((contents[0].text ?? contents[0].blob ?? '').length > 0, `empty contents for ${res.uri}`);
});

await check('resources/templates/list', async () => {
	const { resourceTemplates } = await client.listResourceTemplates({}, reqOpts);
	assert(resourceTemplates.length > 0, 'no resource templates');
});

await check('prompts/list + prompts/get', async () => {
	const { prompts } = await client.listPrompts({}, reqOpts);
	const names = prompts.map((p) => p.name);
	assert(names.includes('simple-prompt') && names.includes('args-prompt'), `prompts [${names}]`);
	const p = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Paris', state: 'TX' } }, reqOpts);
	const text = p.messages[0]?.content?.text;
	assert(text === "What's weather in Paris, TX?", `got ${JSON.stringify(text)}`);
});

await check('server->client sampling/createMessage', async () => {
	const r = await client.callTool(
		{ name: 'trigger-sampling-request', arguments: { prompt: 'sluice-sampling', maxTokens: 16 } },
		undefined, reqOpts);
	assert(samplingPrompt?.includes('sluice-sampling'), `our handler saw ${JSON.stringify(samplingPrompt)}`);
	assert(textOf(r).includes(nonce), `server did not get our answer back: ${textOf(r).slice(0, 200)}`);
});

await check('server->client roots/list (unsolicited)', async () => {
	// Asked by the server on its own; for streamable HTTP this can only
	// arrive on the GET stream, so this also proves that stream works.
	assert(client.transport, 'Not connected');
	await bounded(rootsAskedP, 'server never sent roots/list');
	const r = await client.callTool({ name: 'get-roots-list', arguments: {} }, undefined, reqOpts);
	assert(textOf(r).includes(ROOT), `roots tool answered ${textOf(r).slice(0, 200)}`);
});

if (opt.transport === 'streamable') {
	await check('GET stream', async () => {
		const get = httpLog.find((r) => r.method === 'GET');
		assert(get, 'client opened no GET stream');
		assert(get.status === 200 && get.type.startsWith('text/event-stream'),
			`GET answered ${get.status} ${get.type}`);
	});

	await check('DELETE ends the session', async () => {
		const sid = transport.sessionId;
		await transport.terminateSession();
		const del = httpLog.find((r) => r.method === 'DELETE');
		assert(del && del.status >= 200 && del.status < 300, `DELETE answered ${del?.status}`);
		// The ended session is refused from now on (spec: 404; server-everything: 400).
		const res = await fetch(url, {
			method: 'POST',
			headers: {
				...extraHeaders,
				'content-type': 'application/json',
				accept: 'application/json, text/event-stream',
				'mcp-session-id': sid,
				'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18',
			},
			body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'ping' }),
			signal: AbortSignal.timeout(STEP_MS),
		});
		await res.body?.cancel();
		assert(res.status >= 400 && res.status < 500, `old session answered ${res.status}`);
	});
}

await check('close', () => client.close());

process.exit(failures ? 1 : 0);

#!/usr/bin/env node
// tests/mcp/auth-client.mjs - the official TypeScript SDK client through a
// sluiced that requires an API key, as an agent allowed only some tools.
//
//   node auth-client.mjs --transport streamable|sse --url URL --key KEY
//        --agent NAME --allow TOOL,TOOL --deny TOOL [--timeout MS]
//
// The key goes in the transport's requestInit.headers, which SDK 1.32.2
// sends on every request of both transports (StreamableHTTPClientTransport:
// POST, GET, DELETE; SSEClientTransport: the EventSource GET of /sse and the
// POSTs to /message, both built from requestInit.headers).
//
// Cases (one "PASS: mcp-auth-<transport>: <case>" or "FAIL: ...: <why>"
// line each; exit 1 if any failed), with what the SDK caller sees printed
// as "sdk sees: ..." lines:
//   - no key: connecting fails with the transport's HTTP error, code 401;
//     the WWW-Authenticate resource_metadata URL, as the SDK parses it,
//     serves Protected Resource Metadata for this gateway's MCP endpoint
//   - with the key (Authorization: Bearer, then X-API-Key): tools/list
//     shows exactly --allow; each allowed tool works; the --deny tool is an
//     error naming agents.<NAME>.tools.allow (an McpError -32010 on
//     Streamable HTTP; on legacy SSE the POST's HTTP 403, whose body, the
//     JSON-RPC error, the SDK quotes)
// Whether the denied call reached the backend is for the caller to check
// (tests/mcp/tap.mjs records what did).

import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import {
	discoverOAuthProtectedResourceMetadata,
	extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

const { values: opt } = parseArgs({
	options: {
		transport: { type: 'string' },
		url: { type: 'string' },
		key: { type: 'string' },
		agent: { type: 'string' },
		allow: { type: 'string' },
		deny: { type: 'string' },
		timeout: { type: 'string', default: '10000' },
	},
});
if (!['streamable', 'sse'].includes(opt.transport) || !opt.url || !opt.key || !opt.agent ||
    !opt.allow || !opt.deny) {
	console.error('usage: auth-client.mjs --transport streamable|sse --url URL --key KEY ' +
		'--agent NAME --allow TOOL,TOOL --deny TOOL [--timeout MS]');
	process.exit(2);
}
const STEP_MS = Number(opt.timeout);
const url = new URL(opt.url);
const tag = `mcp-auth-${opt.transport}`;
const allowed = opt.allow.split(',').sort();

const watchdog = setTimeout(() => {
	console.log(`FAIL: ${tag}: watchdog: run exceeded ${STEP_MS * 10} ms`);
	process.exit(1);
}, STEP_MS * 10);
watchdog.unref();

let failures = 0;
function bounded(p) {
	let t;
	const timer = new Promise((_, reject) => {
		t = setTimeout(() => reject(new Error(`timed out after ${STEP_MS} ms`)), STEP_MS);
	});
	return Promise.race([p, timer]).finally(() => clearTimeout(t));
}
async function check(name, fn) {
	try {
		await bounded(fn());
		console.log(`PASS: ${tag}: ${name}`);
	} catch (e) {
		failures++;
		const why = String(e?.message ?? e).replace(/\s+/g, ' ').slice(0, 400);
		console.log(`FAIL: ${tag}: ${name}: ${why}`);
	}
}
function assert(cond, why) {
	if (!cond)
		throw new Error(why);
}
const oneLine = (s) => String(s).replace(/\s+/g, ' ').slice(0, 400);
const reqOpts = { timeout: STEP_MS };
const textOf = (r) => r.content?.find((c) => c.type === 'text')?.text ?? '';

// Every answer the transport gets, to read the 401's headers as it saw them.
const answers = [];
async function recordingFetch(input, init) {
	const res = await fetch(input, init);
	answers.push(res);
	return res;
}

// headers: what requestInit carries (the credential), or none.
function connectWith(headers) {
	const client = new Client({ name: 'sluice-auth-test', version: '1.0.0' }, { capabilities: {} });
	const topts = { fetch: recordingFetch, requestInit: headers ? { headers } : undefined };
	const transport = opt.transport === 'streamable'
		? new StreamableHTTPClientTransport(url, topts)
		: new SSEClientTransport(url, topts);
	return { client, transport, connected: client.connect(transport, reqOpts) };
}

// --- no key -------------------------------------------------------------------
await check('no key: the SDK caller gets HTTP 401', async () => {
	const { client, connected } = connectWith(null);
	let err;
	try {
		await connected;
	} catch (e) {
		err = e;
	}
	await client.close().catch(() => {});
	assert(err, 'connected without a key');
	console.log(`sdk sees: ${err.constructor.name} code=${err.code} message=${oneLine(err.message)}`);
	const want = opt.transport === 'streamable' ? StreamableHTTPError : SseError;
	assert(err instanceof want && err.code === 401,
		`${err.constructor.name} code ${err.code}, want ${want.name} 401`);
});

await check('no key: WWW-Authenticate resource_metadata leads the SDK to the PRM', async () => {
	const res = answers.find((r) => r.status === 401);
	assert(res, `no 401 answer among ${answers.map((r) => r.status)}`);
	console.log(`sdk sees: WWW-Authenticate: ${res.headers.get('www-authenticate')}`);
	const { resourceMetadataUrl, error } = extractWWWAuthenticateParams(res);
	assert(resourceMetadataUrl instanceof URL, 'the SDK reads no resource_metadata URL');
	assert(resourceMetadataUrl.origin === url.origin,
		`resource_metadata ${resourceMetadataUrl} is not on ${url.origin}`);
	assert(error === undefined, `error=${error} without a credential`);
	const prm = await discoverOAuthProtectedResourceMetadata(url, { resourceMetadataUrl });
	console.log(`sdk sees: protected resource metadata ${JSON.stringify(prm)}`);
	assert(prm.resource === `${url.origin}/mcp`, `resource ${prm.resource}`);
	assert(prm.bearer_methods_supported?.includes('header'), 'no bearer method "header"');
});

// --- with the key ----------------------------------------------------------------
async function asAgent(how, headers) {
	const { client, connected } = connectWith(headers);

	await check(`${how}: initialize`, async () => {
		await connected;
		assert(client.getServerVersion()?.name === 'mcp-servers/everything',
			`serverInfo ${JSON.stringify(client.getServerVersion())}`);
	});

	await check(`${how}: tools/list shows only the allowed tools`, async () => {
		const { tools } = await client.listTools({}, reqOpts);
		const names = tools.map((t) => t.name).sort();
		console.log(`sdk sees: tools [${names.join(', ')}]`);
		assert(JSON.stringify(names) === JSON.stringify(allowed),
			`tools [${names.join(', ')}], want [${allowed.join(', ')}]`);
	});

	await check(`${how}: the allowed tools work`, async () => {
		let r = await client.callTool({ name: 'echo', arguments: { message: 'through sluice' } },
			undefined, reqOpts);
		assert(!r.isError && textOf(r) === 'Echo: through sluice', `echo: ${JSON.stringify(r)}`);
		r = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } }, undefined, reqOpts);
		assert(textOf(r) === 'The sum of 2 and 40 is 42.', `get-sum: ${JSON.stringify(r)}`);
	});

	await check(`${how}: the denied tool is an error naming the rule`, async () => {
		let r, err;
		try {
			r = await client.callTool({ name: opt.deny, arguments: {} }, undefined, reqOpts);
		} catch (e) {
			err = e;
		}
		assert(err, `${opt.deny} answered, isError ${r?.isError}, ${String(JSON.stringify(r)).length} bytes`);
		console.log(`sdk sees: ${err.constructor.name} code=${err.code} message=${oneLine(err.message)}`);
		const rule = `agents.${opt.agent}.tools.allow`;
		// Streamable HTTP: the JSON-RPC error, as a backend's.  Legacy: the
		// SDK reads answers from /sse only, so the refusal is the POST's
		// HTTP 403, whose body the SDK puts in its error.
		if (opt.transport === 'streamable')
			assert(err instanceof McpError && err.code === -32010,
				`${err.constructor.name} ${err.code}`);
		else
			assert(/^Error POSTing to endpoint \(HTTP 403\): /.test(err.message) &&
				err.message.includes('"code":-32010'), 'not the HTTP 403 with -32010');
		assert(err.message.includes(rule) && err.message.includes(opt.deny),
			`message does not name ${rule} and the tool`);
	});

	await check(`${how}: close`, () => client.close());
}

await asAgent('Authorization: Bearer', { Authorization: `Bearer ${opt.key}` });
await asAgent('X-API-Key', { 'X-API-Key': opt.key });

process.exit(failures ? 1 : 0);

#!/usr/bin/env node
// tests/mcp/limited-client.mjs - what a caller of the official TypeScript SDK
// client sees when sluiced rate-limits it (tests/e2e/limits.sh).
//
//   node limited-client.mjs URL KEY TOOL ARGS_JSON N
//
// Connects over Streamable HTTP with "Authorization: Bearer KEY", calls TOOL
// N times, and prints one JSON line per call: {"ok":true} or
// {"ok":false,"class":..,"code":..,"message":..,"data":..} (the error the
// SDK threw).  Bounded: 10 s per call, 30 s in all.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, key, tool, args, n] = process.argv.slice(2);
if (!url || !key || !tool || !args || !n) {
	console.error('usage: limited-client.mjs URL KEY TOOL ARGS_JSON N');
	process.exit(2);
}
setTimeout(() => { console.error('limited-client: watchdog'); process.exit(3); }, 30000).unref();

const transport = new StreamableHTTPClientTransport(new URL(url), {
	requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
const client = new Client({ name: 'limited-client', version: '1' });
await client.connect(transport);
for (let i = 0; i < Number(n); i++) {
	try {
		await client.callTool({ name: tool, arguments: JSON.parse(args) }, undefined,
				      { timeout: 10000 });
		console.log(JSON.stringify({ ok: true }));
	} catch (e) {
		console.log(JSON.stringify({ ok: false, class: e.constructor.name, code: e.code,
					     message: e.message, data: e.data }));
	}
}
await client.close();

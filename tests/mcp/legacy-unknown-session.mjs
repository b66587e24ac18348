#!/usr/bin/env node
// tests/mcp/legacy-unknown-session.mjs URL [--max MS]
//
// Legacy HTTP+SSE transport: POSTs a JSON-RPC ping to
// <URL>/message?sessionId=<random uuid> (URL is the server's or gateway's
// origin, e.g. http://127.0.0.1:8470; a URL with a path other than "/" is
// used as the message endpoint as it is) and reports how it was answered:
//
//   status=<HTTP status> ms=<elapsed> body=<first 200 bytes, JSON-quoted>
//   status=none ms=<elapsed> error=<why>      (no answer within --max)
//
// server-everything never answers such a POST (it logs "No transport found"
// and leaves the request open), so a gateway in front of it must time it
// out itself.  --max bounds the wait (default 15000 ms).  Exits 0 when an
// HTTP answer came, 1 when none did, 2 on bad usage.

import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';

const { values: opt, positionals } = parseArgs({
	allowPositionals: true,
	options: { max: { type: 'string', default: '15000' } },
});
if (positionals.length !== 1) {
	console.error('usage: legacy-unknown-session.mjs URL [--max MS]');
	process.exit(2);
}
const target = new URL(positionals[0]);
if (target.pathname === '/')
	target.pathname = '/message';
target.searchParams.set('sessionId', randomUUID());
const max = Number(opt.max);

const start = performance.now();
const ms = () => Math.round(performance.now() - start);
try {
	const res = await fetch(target, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
		signal: AbortSignal.timeout(max),
	});
	// The body too must come within the bound.
	const body = await res.text();
	console.log(`status=${res.status} ms=${ms()} body=${JSON.stringify(body.slice(0, 200))}`);
	process.exit(0);
} catch (e) {
	const why = e.name === 'TimeoutError' ? `no answer within ${max} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
	console.log(`status=none ms=${ms()} error=${JSON.stringify(why)}`);
	process.exit(1);
}

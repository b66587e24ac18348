#!/usr/bin/env node
// tests/mcp/tap.mjs - a recording HTTP forwarder to put between sluiced and
// server-everything, so a test can say what reached the backend.
//
//   node tap.mjs --listen PORT --upstream PORT --log FILE
//
// Listens on 127.0.0.1:PORT and forwards every request, as received, to
// 127.0.0.1:UPSTREAM; answers (SSE streams included) are relayed as they
// come.  Before forwarding, it appends one JSON line per request to FILE:
//   {"method": "POST", "url": "/mcp", "headers": {...}, "body": "..."}
// (headers lower-cased as node reads them, the body as UTF-8 text).

import http from 'node:http';
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
	options: {
		listen: { type: 'string' },
		upstream: { type: 'string' },
		log: { type: 'string' },
	},
});
if (!opt.listen || !opt.upstream || !opt.log) {
	console.error('usage: tap.mjs --listen PORT --upstream PORT --log FILE');
	process.exit(2);
}
const agent = new http.Agent({ keepAlive: true });

function forward(req, res, body) {
	const up = http.request({
		host: '127.0.0.1',
		port: Number(opt.upstream),
		method: req.method,
		path: req.url,
		headers: req.headers,
		agent,
	}, (ur) => {
		res.writeHead(ur.statusCode, ur.headers);
		res.flushHeaders();
		ur.pipe(res);
	});
	up.on('error', () => res.destroy());
	// The client went away before the answer ended (a closed SSE stream):
	// so does the request upstream.
	res.on('close', () => {
		if (!res.writableFinished)
			up.destroy();
	});
	up.end(body);
}

http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);
		// Written synchronously: once the answer is back, the line is there.
		appendFileSync(opt.log, JSON.stringify({
			method: req.method,
			url: req.url,
			headers: req.headers,
			body: body.toString('utf8'),
		}) + '\n');
		forward(req, res, body);
	});
}).listen(Number(opt.listen), '127.0.0.1');

// bind-loopback.cjs - node preload (`node -r ./bind-loopback.cjs app.js`)
// that confines every TCP server the process opens to the loopback address.
//
// server-everything takes its port from $PORT and calls app.listen(PORT),
// which binds every interface; a test must never expose it.  This wraps
// net.Server.prototype.listen (which http.Server and express use) and
// rewrites the host to $BIND_HOST (default 127.0.0.1) whatever the caller
// asked for: listen(port), listen(port, host), listen({port, host}), each
// with or without a backlog and callback.  Unix-socket and handle listens
// (a string path, {path}, {fd}, {handle}) are left alone.
'use strict';

const net = require('node:net');

const HOST = process.env.BIND_HOST || '127.0.0.1';
const origListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listen(...args) {
	const first = args[0];
	// listen(options[, callback])
	if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
		if (!('path' in first) && !('fd' in first) &&
		    !('handle' in first) && !('_handle' in first)) {
			args[0] = { ...first, host: HOST };
		}
		return origListen.apply(this, args);
	}
	// listen([port[, host[, backlog]]][, callback]); a port may be a
	// numeric string, as $PORT is.  A non-numeric string is a socket path.
	// listen() and listen(callback) take an ephemeral port.
	const isPort = first === undefined || typeof first === 'function' ||
		typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first));
	if (!isPort)
		return origListen.apply(this, args);
	const cb = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
	const port = first === undefined || typeof first === 'function' ? 0 : Number(first);
	// args[1] is the host (replaced); args[2], if a number, the backlog.
	const opts = { port, host: HOST };
	if (typeof args[2] === 'number')
		opts.backlog = args[2];
	else if (typeof args[1] === 'number')   // listen(port, backlog)
		opts.backlog = args[1];
	return cb ? origListen.call(this, opts, cb) : origListen.call(this, opts);
};

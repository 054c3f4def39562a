/*
 * server.h - mplm-lab-web's HTTP side, on libmicrohttpd: the page's
 * compiled-in files and the JSON API (api.h), nothing else.
 *
 *   GET /, /index.html, /app.js, /app.css   the page
 *   GET /api/run?PARAM=VALUE&...            a run as JSON (api.h); 400 with
 *                                           {"error": "..."} on bad input
 *   GET /api/params                         the parameter names and limits
 *   anything else                           404 (405 for other methods)
 */
#ifndef MPLM_WEB_SERVER_H
#define MPLM_WEB_SERVER_H

#include <stdint.h>

#include "api.h"

struct web_server;

struct web_server_options {
	const char *address;    /* numeric IPv4, default 127.0.0.1 */
	uint16_t port;          /* 0: any free port */
	unsigned threads;       /* worker threads = runs at once */
	unsigned max_clients;   /* connections at once */
	struct web_limits limits;
};
void web_server_options_default(struct web_server_options *o);

/* Start serving in background threads. NULL with one line in err. */
struct web_server *web_server_start(const struct web_server_options *o,
				    char *err, size_t errlen);
uint16_t web_server_port(const struct web_server *s);
void web_server_stop(struct web_server *s);

#endif

/*
 * server.c - mplm-lab-web's HTTP side (server.h).
 *
 * libmicrohttpd runs a fixed pool of threads, each answering its
 * connections one request at a time; a run happens inside the request, so
 * at most `threads` runs are in memory at once, each bounded by
 * web_limits. Connections beyond max_clients are refused by the library,
 * and idle ones are closed after 30 s.
 */
#include "server.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "static.h"

struct web_server {
	struct MHD_Daemon *daemon;
	struct web_limits limits;
	uint16_t port;
};

void web_server_options_default(struct web_server_options *o)
{
	memset(o, 0, sizeof(*o));
	o->address = "127.0.0.1";
	o->port = 8080;
	o->threads = 4;
	o->max_clients = 200;
	web_limits_default(&o->limits);
}

/* Headers every answer carries: the page runs only its own scripts. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status,
			    const char *type, struct MHD_Response *r)
{
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status,
				 const char *text)
{
	return respond(c, status, "text/plain; charset=utf-8",
		    MHD_create_response_from_buffer(strlen(text), (void *)text,
						    MHD_RESPMEM_MUST_COPY));
}

/* A JSON text we own (malloc'd): handed to the library, freed by it. */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status,
				 char *json)
{
	if (!json)
		return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return respond(c, status, "application/json",
		    MHD_create_response_from_buffer(strlen(json), json,
						    MHD_RESPMEM_MUST_FREE));
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
				  const char *msg)
{
	json_t *o = json_pack("{s:s}", "error", msg);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return send_json(c, status, text);
}

struct args {
	struct web_request *rq;
	char err[256];
	int failed;
};

static enum MHD_Result one_arg(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *value)
{
	struct args *a = cls;
	(void)kind;
	if (a->failed)
		return MHD_NO;
	if (web_request_set(a->rq, key, value, a->err, sizeof(a->err)) < 0) {
		a->failed = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

static enum MHD_Result api_run(struct web_server *s, struct MHD_Connection *c)
{
	struct web_request rq;
	struct args a = { .rq = &rq };

	web_request_init(&rq);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, one_arg, &a);
	if (a.failed || web_request_finish(&rq, &s->limits, a.err, sizeof(a.err)) < 0)
		return send_error(c, MHD_HTTP_BAD_REQUEST, a.err);
	char *json = web_run_json(&rq, &s->limits, a.err, sizeof(a.err));
	if (!json)
		return send_error(c, MHD_HTTP_UNPROCESSABLE_CONTENT, a.err);
	return send_json(c, MHD_HTTP_OK, json);
}

static enum MHD_Result api_params(struct web_server *s, struct MHD_Connection *c)
{
	json_t *names = json_array();
	for (const char *const *n = web_param_names(); names && *n; n++)
		json_array_append_new(names, json_string(*n));
	json_t *o = json_pack("{s:o, s:{s:I, s:f, s:f, s:I}}", "names", names, "limits",
			      "max-pages", (json_int_t)s->limits.max_pages,
			      "max-total-time", s->limits.max_time,
			      "max-writes", s->limits.max_writes,
			      "max-syncs", (json_int_t)s->limits.max_syncs);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return send_json(c, MHD_HTTP_OK, text);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct web_server *s = cls;
	(void)version;
	(void)upload_data;

	/* The first call only announces the request: answer on the second,
	 * so that a body (which we refuse) has been seen. */
	if (!*req_cls) {
		*req_cls = s;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* discarded */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (strcmp(url, "/api/run") == 0)
		return api_run(s, c);
	if (strcmp(url, "/api/params") == 0)
		return api_params(s, c);
	const struct web_file *f = web_file_find(url);
	if (!f)
		return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	return respond(c, MHD_HTTP_OK, f->content_type,
		    MHD_create_response_from_buffer(f->len, (void *)f->data,
						    MHD_RESPMEM_PERSISTENT));
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* %XX decoding of the path and the query, in place, as the library's own
 * but for %00: kept as it is, so that no NUL can cut a path short
 * ("/index.html%00.js" is not "/index.html"). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *out = s;
	(void)cls;
	(void)c;
	for (const char *in = s; *in; out++) {
		int hi = in[0] == '%' ? hex_digit(in[1]) : -1;
		int lo = hi >= 0 ? hex_digit(in[2]) : -1;
		if (lo >= 0 && (hi || lo)) {
			*out = (char)(hi * 16 + lo);
			in += 3;
		} else {
			*out = *in++;
		}
	}
	*out = 0;
	return (size_t)(out - s);
}

struct web_server *web_server_start(const struct web_server_options *o,
				    char *err, size_t errlen)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	struct web_server *s;

	if (inet_pton(AF_INET, o->address, &addr.sin_addr) != 1) {
		snprintf(err, errlen, "--listen %s: expected a numeric IPv4 address such as 127.0.0.1",
			 o->address);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->limits = o->limits;
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
				     0, NULL, NULL, handle, s,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_clients,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				     MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)256,
				     MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
				     MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, errlen, "cannot listen on %s:%u (in use, or not an address of this machine)",
			 o->address, (unsigned)o->port);
		free(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	return s;
}

uint16_t web_server_port(const struct web_server *s)
{
	return s->port;
}

void web_server_stop(struct web_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	free(s);
}

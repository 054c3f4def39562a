/*
 * mplm-lab-web - the teaching lab in a browser: serves one page and a JSON
 * API that runs the simulator (server.h), until SIGINT or SIGTERM.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "units.h"

static const char usage_text[] =
	"usage: mplm-lab-web [OPTIONS]\n"
	"\n"
	"Serve the mplm-lab teaching page and its JSON API (see web/README.md).\n"
	"\n"
	"examples:\n"
	"  mplm-lab-web                      then open http://127.0.0.1:8080/\n"
	"  mplm-lab-web --listen 0.0.0.0 --port 8000   for a classroom's network\n"
	"\n"
	"  --listen ADDR        IPv4 address to bind (default 127.0.0.1: this machine only;\n"
	"                       0.0.0.0 opens it to the classroom's network)\n"
	"  --port N             TCP port (default 8080; 0 picks a free one)\n"
	"  --threads N          runs at once (default 4)\n"
	"  --max-clients N      connections at once (default 200)\n"
	"  --max-pages N        largest VM a request may simulate, pages (default 65536)\n"
	"  --max-total-time S   longest simulated migration per request (default 600 s)\n"
	"  --version, --help\n";

enum { OPT_LISTEN = 256, OPT_PORT, OPT_THREADS, OPT_CLIENTS, OPT_PAGES, OPT_TIME,
       OPT_VERSION, OPT_HELP };

static const struct option options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-clients", required_argument, NULL, OPT_CLIENTS },
	{ "max-pages", required_argument, NULL, OPT_PAGES },
	{ "max-total-time", required_argument, NULL, OPT_TIME },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int bad(const char *opt, const char *value, const char *want)
{
	fprintf(stderr, "mplm-lab-web: --%s %s: %s\n", opt, value, want);
	return -1;
}

/* A whole number in [lo, hi]. */
static int count_in(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	return units_parse_uint(s, out) < 0 || *out < lo || *out > hi ? -1 : 0;
}

static int parse_option(struct web_server_options *o, int opt, const char *arg)
{
	const char *name = options[opt - OPT_LISTEN].name;
	uint64_t u;
	switch (opt) {
	case OPT_LISTEN:
		o->address = arg;
		return 0;
	case OPT_PORT:
		if (count_in(arg, 0, 65535, &u) < 0)
			return bad(name, arg, "expected a port, 0 to 65535");
		o->port = (uint16_t)u;
		return 0;
	case OPT_THREADS:
		if (count_in(arg, 1, 64, &u) < 0)
			return bad(name, arg, "expected 1 to 64");
		o->threads = (unsigned)u;
		return 0;
	case OPT_CLIENTS:
		if (count_in(arg, 1, 10000, &u) < 0)
			return bad(name, arg, "expected 1 to 10000");
		o->max_clients = (unsigned)u;
		return 0;
	case OPT_PAGES:
		if (count_in(arg, 1, 1u << 24, &u) < 0)
			return bad(name, arg, "expected 1 to 16777216 pages");
		o->limits.max_pages = u;
		return 0;
	case OPT_TIME:
		if (units_parse_seconds(arg, &o->limits.max_time) < 0 || !(o->limits.max_time > 0))
			return bad(name, arg, "expected a positive number of seconds");
		return 0;
	}
	return -1;
}

static int parse_args(struct web_server_options *o, int argc, char **argv)
{
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (opt == OPT_VERSION) {
			printf("mplm-lab-web %s (%s)\n", MPLM_VERSION, mplm_git_commit());
			exit(0);
		}
		if (opt == '?') {
			fprintf(stderr, "mplm-lab-web: unknown option or missing value: %s (see --help)\n",
				argv[optind - 1]);
			return -1;
		}
		if (parse_option(o, opt, optarg) < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "mplm-lab-web: unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct web_server_options o;
	struct web_server *s;
	char err[256];
	sigset_t stop;
	int sig;

	web_server_options_default(&o);
	if (parse_args(&o, argc, argv) < 0)
		return 2;
	/* The server's threads inherit the mask: the signals wait for us. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	s = web_server_start(&o, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "mplm-lab-web: %s\n", err);
		return 1;
	}
	printf("mplm-lab-web: serving http://%s:%u/ (Ctrl-C stops)\n", o.address,
	       (unsigned)web_server_port(s));
	fflush(stdout);
	sigwait(&stop, &sig);
	web_server_stop(s);
	return 0;
}

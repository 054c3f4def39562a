/*
 * web-load - a load test client for mplm-lab-web: N clients, each its own
 * thread, request the given paths in turn for S seconds over loopback,
 * one connection per request (as browsers of many students would open
 * them). An error is a failed connection, a status other than 200 or a
 * body shorter than its Content-Length.
 *
 * Usage: web-load PORT CLIENTS SECONDS PATH...
 * Prints: requests N, errors N, slowest S s; exits 1 if any error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct load {
	uint16_t port;
	double until;
	char **paths;
	int npaths;
};

struct tally {
	const struct load *load;
	int first;           /* index of this client's first path */
	unsigned long requests, errors;
	double slowest;
	char last_error[160];
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The whole answer into buf (up to cap - 1 bytes); its length, or -1. */
static long fetch(uint16_t port, const char *path, char *buf, size_t cap)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[2048];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t got = 0;

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	for (ssize_t r; got + 1 < cap && (r = read(fd, buf + got, cap - 1 - got)) > 0;)
		got += (size_t)r;
	close(fd);
	buf[got] = 0;
	return (long)got;
}

/* 0 if the answer is a complete 200, else -1 with why. */
static int check(const char *buf, long len, char *why, size_t whylen)
{
	const char *body = strstr(buf, "\r\n\r\n");
	const char *cl = strcasestr(buf, "\r\nContent-Length:");
	if (len <= 0 || strncmp(buf, "HTTP/1.1 200", 12) != 0) {
		snprintf(why, whylen, "%.60s", len > 0 ? buf : "no answer");
		return -1;
	}
	if (!body || !cl || atol(cl + 17) != len - (body + 4 - buf)) {
		snprintf(why, whylen, "short body (%ld bytes in all)", len);
		return -1;
	}
	return 0;
}

static void *client(void *arg)
{
	struct tally *t = arg;
	const struct load *l = t->load;
	size_t cap = 8 << 20;
	char *buf = malloc(cap);

	for (int i = t->first; buf && now() < l->until; i++) {
		double t0 = now();
		long len = fetch(l->port, l->paths[i % l->npaths], buf, cap);
		double dt = now() - t0;
		t->requests++;
		if (dt > t->slowest)
			t->slowest = dt;
		if (check(buf, len, t->last_error, sizeof(t->last_error)) < 0)
			t->errors++;
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: web-load PORT CLIENTS SECONDS PATH...\n");
		return 2;
	}
	struct load l = { .port = (uint16_t)atoi(argv[1]), .paths = argv + 4, .npaths = argc - 4 };
	int n = atoi(argv[2]);
	double secs = atof(argv[3]);
	if (l.port == 0 || n < 1 || n > 1000 || !(secs > 0)) {
		fprintf(stderr, "web-load: bad PORT, CLIENTS (1-1000) or SECONDS\n");
		return 2;
	}
	struct tally *t = calloc((size_t)n, sizeof(*t));
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	if (!t || !th)
		return 1;
	l.until = now() + secs;
	for (int i = 0; i < n; i++) {
		t[i].load = &l;
		t[i].first = i;
		if (pthread_create(&th[i], NULL, client, &t[i]) != 0) {
			fprintf(stderr, "web-load: cannot start client %d\n", i);
			return 1;
		}
	}
	unsigned long req = 0, err = 0;
	double slowest = 0;
	const char *why = NULL;
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		req += t[i].requests;
		err += t[i].errors;
		if (t[i].slowest > slowest)
			slowest = t[i].slowest;
		if (t[i].errors && !why)
			why = t[i].last_error;
	}
	printf("requests %lu, errors %lu, slowest %.3f s (%d clients, %.0f s)\n", req, err,
	       slowest, n, secs);
	if (why)
		printf("last error: %s\n", why);
	free(t);
	free(th);
	return err ? 1 : 0;
}

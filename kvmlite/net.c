/*
 * net.c - TCP on loopback (or any address given explicitly), with
 * timeouts so nothing waits forever.
 */
#include "stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* "tcp:HOST:PORT", "HOST:PORT" or ":PORT" (loopback). */
static int parse_addr(const char *s, struct sockaddr_in *sa, struct kl_err *e)
{
	char host[256];
	if (!strncmp(s, "tcp:", 4))
		s += 4;
	const char *colon = strrchr(s, ':');
	if (!colon || colon - s >= (long)sizeof(host))
		return kl_fail(e, "address %s: want HOST:PORT", s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || end == colon + 1)
		return kl_fail(e, "address %s: bad port", s);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (!host[0] || !strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return kl_fail(e, "address %s: want a numeric IPv4 host", s);
	return 0;
}

int kl_addr_is_loopback(const char *addr, bool *loopback, struct kl_err *e)
{
	struct sockaddr_in sa;
	if (parse_addr(addr, &sa, e) < 0)
		return -1;
	*loopback = (ntohl(sa.sin_addr.s_addr) >> 24) == 127;
	return 0;
}

void kl_set_io_timeout(int fd, double seconds)
{
	struct timeval tv = { (time_t)seconds,
			      (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6) };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

void kl_set_socket_buffers(int fd, int bytes)
{
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

/* No SO_SNDBUF/SO_RCVBUF: setting them turns off the kernel's buffer
 * autotuning, which does better on loopback than rmem_max allows. */
static void tune(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int kl_listen(const char *addr, struct kl_err *e)
{
	struct sockaddr_in sa;
	if (parse_addr(addr, &sa, e) < 0)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return kl_fail_errno(e, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		kl_fail_errno(e, "listen on %s", addr);
		close(fd);
		return -1;
	}
	return fd;
}

int kl_local_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	return ntohs(sa.sin_port);
}

int kl_accept(int lfd, double timeout, struct kl_err *e)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int ms = timeout > 0 ? (int)(timeout * 1000) : -1;
	int r;
	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return kl_fail(e, "no connection within %.0f s", timeout);
	if (r < 0)
		return kl_fail_errno(e, "poll");
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return kl_fail_errno(e, "accept");
	tune(fd);
	return fd;
}

int kl_connect(const char *addr, double timeout, struct kl_err *e)
{
	struct sockaddr_in sa;
	if (parse_addr(addr, &sa, e) < 0)
		return -1;
	double until = kl_now() + timeout;
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return kl_fail_errno(e, "socket");
		tune(fd);
		kl_set_io_timeout(fd, timeout > 0 ? timeout : 10);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		int err = errno;
		close(fd);
		/* The destination may still be starting: retry refusals. */
		if (err != ECONNREFUSED || kl_now() >= until) {
			errno = err;
			return kl_fail_errno(e, "connect to %s", addr);
		}
		usleep(20000);
	}
}

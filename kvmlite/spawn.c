/*
 * spawn.c - a destination in a child process: fork, keep the listening
 * socket open across exec, run `kvmlite incoming --listen-fd`. The parent
 * made the socket, so it knows the port before the child runs and there
 * is no race for it.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64

int kl_spawn_incoming(const char *exe, const struct kl_config *cfg, int lfd,
		      const char *const *extra, struct kl_err *e)
{
	char store[16][64], fdarg[32];
	char *argv[MAX_ARGS];
	int n = 0;

	argv[n++] = (char *)"kvmlite";
	argv[n++] = (char *)"incoming";
	snprintf(fdarg, sizeof(fdarg), "--listen-fd=%d", lfd);
	argv[n++] = fdarg;
	n += kl_cli_vm_args(cfg, argv + n, 16, store);
	for (int i = 0; extra && extra[i] && n < MAX_ARGS - 1; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;

	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return kl_fail_errno(e, "fork");
	if (pid == 0) {
		int flags = fcntl(lfd, F_GETFD);
		fcntl(lfd, F_SETFD, flags & ~FD_CLOEXEC);
		execv(exe, argv);
		fprintf(stderr, "kvmlite: exec %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	return pid;
}

int kl_wait_child(int pid, double timeout)
{
	double until = kl_now() + timeout;
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (timeout > 0 && kl_now() >= until) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		struct timespec t = { 0, 10 * 1000 * 1000 };
		nanosleep(&t, NULL);
	}
}

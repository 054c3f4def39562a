/*
 * helpers.h - shared by the experiments tests: where things are, running
 * mplm-exp, reading the results database. Header-only (each test is one
 * program).
 */
#ifndef EXP_TEST_HELPERS_H
#define EXP_TEST_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <stdbool.h>
#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char exp_bin[PATH_MAX + 32];   /* $(B)/mplm-exp */
static char repo_root[PATH_MAX];
static char npb_dir[PATH_MAX + 32];   /* the repository's NPB traces */
static char tmp_dir[1024];

/* The test binary is $(B)/tests/experiments/NAME: mplm-exp is two levels
 * up; the repository is the first parent holding experiments/paper. */
static __attribute__((unused)) void helpers_init(const char *argv0)
{
	char self[PATH_MAX], dir[PATH_MAX];
	if (!realpath(argv0, self)) {
		perror(argv0);
		exit(1);
	}
	snprintf(dir, sizeof(dir), "%s", self);
	snprintf(exp_bin, sizeof(exp_bin), "%s/../../mplm-exp", dirname(dir));
	snprintf(dir, sizeof(dir), "%s", self);
	char *d = dirname(dir);
	for (;;) {
		char probe[PATH_MAX + 64];
		snprintf(probe, sizeof(probe), "%s/experiments/paper", d);
		if (access(probe, F_OK) == 0 || strcmp(d, "/") == 0)
			break;
		d = dirname(d);
	}
	snprintf(repo_root, sizeof(repo_root), "%s", d);
	snprintf(npb_dir, sizeof(npb_dir), "%s/workloads/traces/npb", repo_root);
	const char *t = getenv("TMPDIR");
	snprintf(tmp_dir, sizeof(tmp_dir), "%s/mplm-exp-test-XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(tmp_dir)) {
		perror("mkdtemp");
		exit(1);
	}
}

static __attribute__((unused)) void helpers_cleanup(void)
{
	char cmd[1100];
	if (getenv("MPLM_KEEP_TEST_DIR"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp_dir);
}

static __attribute__((unused)) void path_in_tmp(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmp_dir, name);
}

static __attribute__((unused)) void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static __attribute__((unused)) char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[4096];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			buf = realloc(buf, cap);
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	return buf;
}

/* Write tmp/NAME: a 16-page trace, good for 5 s (lines 1-54), whose line
 * 55 is `tail` ("" for none): a migration of 16 pages ends long before. */
static __attribute__((unused)) void write_trace_with_tail(const char *name,
							  const char *tail)
{
	char path[PATH_MAX + 64], text[2048];
	int n = snprintf(text, sizeof(text),
			 "mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100000\n");
	for (unsigned i = 1; i <= 50; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "d %u %u\n",
			      i * 100000, i % 16);
	snprintf(text + n, sizeof(text) - (size_t)n, "%s", tail);
	path_in_tmp(path, sizeof(path), name);
	write_file(path, text);
}

/* Start mplm-exp with the arguments (NULL-terminated) as user uid
 * ((uid_t)-1: as this process; another needs root), stdout and stderr
 * to tmp/out.txt and tmp/err.txt. */
static __attribute__((unused)) pid_t start_exp_as(const char *const *args,
						  uid_t uid)
{
	char out[PATH_MAX + 16], err[PATH_MAX + 16];
	path_in_tmp(out, sizeof(out), "out.txt");
	path_in_tmp(err, sizeof(err), "err.txt");
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o < 0 || e < 0)
			_exit(125);
		dup2(o, 1);
		dup2(e, 2);
		if (uid != (uid_t)-1 && (setgroups(0, NULL) < 0 ||
					 setgid(uid) < 0 || setuid(uid) < 0))
			_exit(126);
		char *argv[64];
		int n = 0;
		argv[n++] = exp_bin;
		for (; args[n - 1] && n < 63; n++)
			argv[n] = (char *)args[n - 1];
		argv[n] = NULL;
		execv(exp_bin, argv);
		_exit(127);
	}
	return pid;
}

static __attribute__((unused)) pid_t start_exp(const char *const *args)
{
	return start_exp_as(args, (uid_t)-1);
}

/* An error message as the standards want it: exactly one line. */
static __attribute__((unused)) bool one_line(const char *s)
{
	return s[0] && strchr(s, '\n') == s + strlen(s) - 1;
}

/* Run mplm-exp to the end; its exit status (128 + signal if killed). */
static int wait_exit(pid_t pid);
static __attribute__((unused)) int run_exp(const char *const *args)
{
	return wait_exit(start_exp(args));
}

static __attribute__((unused)) char *exp_stdout(void)
{
	char p[PATH_MAX + 16];
	path_in_tmp(p, sizeof(p), "out.txt");
	return read_file(p);
}

static __attribute__((unused)) char *exp_stderr(void)
{
	char p[PATH_MAX + 16];
	path_in_tmp(p, sizeof(p), "err.txt");
	return read_file(p);
}

/* The first column of the first row of a query, as a double (NAN if no
 * row or NULL). */
static __attribute__((unused)) double db_value(const char *db, const char *fmt, ...)
{
	char sql[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	sqlite3 *h;
	double v = 0.0 / 0.0;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return v;
	}
	sqlite3_busy_timeout(h, 5000);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL)
			v = sqlite3_column_double(st, 0);
		sqlite3_finalize(st);
	} else {
		fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(h));
	}
	sqlite3_close(h);
	return v;
}

static __attribute__((unused)) void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Wait for a child; its exit status (128 + signal if killed). */
static __attribute__((unused)) int wait_exit(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run an experiment file into a database before the tests; false (after
 * saying why) if mplm-exp failed. */
static __attribute__((unused)) bool run_setup(const char *ini, const char *db)
{
	const char *args[] = { "run", "-j", "2", "--no-progress", "--db", db,
			       ini, NULL };
	if (run_exp(args) == 0)
		return true;
	char *e = exp_stderr();
	fprintf(stderr, "mplm-exp run failed: %s\n", e);
	free(e);
	return false;
}

/* Rows of a table of the database (0 before it has its tables, or
 * when there is no database at all). */
static __attribute__((unused)) double stored_rows(const char *db,
						  const char *table)
{
	if (access(db, F_OK) != 0 || db_value(db, "SELECT count(*) FROM "
					       "sqlite_master WHERE name = "
					       "'%s'", table) != 1)
		return 0;
	double n = db_value(db, "SELECT count(*) FROM %s", table);
	return n == n ? n : 0;
}

/* Runs stored in the database so far. */
static __attribute__((unused)) double stored_runs(const char *db)
{
	return stored_rows(db, "runs");
}

/* Every run of the current definitions stored exactly once, with all its
 * sync records, and no other run: the outcome a sweep must reach however
 * it was interrupted or shared. */
static __attribute__((unused)) bool all_runs_once(const char *db, int total)
{
	static const char *const zero[] = {
		"SELECT count(*) FROM current_runs c WHERE NOT EXISTS (SELECT 1"
		" FROM runs r WHERE r.experiment_id = c.experiment_id AND"
		" r.param_hash = c.param_hash AND r.repetition = c.repetition)",
		"SELECT count(*) FROM runs r WHERE syncs != (SELECT count(*)"
		" FROM syncs s WHERE s.run_id = r.id)",
	};
	bool ok = db_value(db, "SELECT count(*) FROM runs") == total &&
		  db_value(db, "SELECT count(DISTINCT param_hash || '/' ||"
			   " repetition) FROM runs") == total &&
		  db_value(db, "SELECT count(*) FROM current_runs") == total;
	for (size_t i = 0; ok && i < sizeof(zero) / sizeof(zero[0]); i++)
		ok = db_value(db, "%s", zero[i]) == 0;
	return ok;
}

/* NULL if /dev/kvm answers; else why not. */
static __attribute__((unused)) const char *kvm_unusable(void)
{
	static char why[256];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "open /dev/kvm: %s", strerror(errno));
		return why;
	}
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (v != KVM_API_VERSION) {
		snprintf(why, sizeof(why), "KVM_GET_API_VERSION gave %d", v);
		return why;
	}
	return NULL;
}

/* In a cmocka test that needs KVM: say why and skip. */
#define REQUIRE_KVM()                                                   \
	do {                                                            \
		const char *why_ = kvm_unusable();                      \
		if (why_) {                                             \
			printf("SKIP: /dev/kvm not usable: %s\n", why_); \
			skip();                                         \
		}                                                       \
	} while (0)

/* A PNG: the 8-byte signature and more than a header's worth of bytes. */
static __attribute__((unused)) int is_png(const char *path)
{
	unsigned char sig[8];
	struct stat st;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(sig, 1, 8, f);
	fclose(f);
	return n == 8 && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8) &&
	       stat(path, &st) == 0 && st.st_size > 1000;
}

#endif

/*
 * test_share.c - several `mplm-exp run` processes on one experiment and one
 * database share the work: none fails on a constraint, no run is lost or
 * stored twice, runners killed with SIGKILL midway leave their runs to the
 * survivor, and a runner that finds the database locked waits.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "helpers.h"

#define TOTAL_RUNS 240
#define RUNNERS 3

static char ini[PATH_MAX + 64];

/* 60 repetitions x (3 pre-copy limits + MPLM) = 240 short runs. */
static const char experiment[] =
	"[experiment]\n"
	"name = share\n"
	"repetitions = 60\n"
	"memory = 256M\n"
	"max-total-time = 120\n"
	"\n"
	"[workload u]\n"
	"generator = uniform,memory=192M,wss=128M,rate=8000,duration=10\n"
	"start-at = 1\n"
	"\n"
	"[algorithm precopy]\n"
	"downtime-limit = 50ms 300ms 1s\n"
	"\n"
	"[algorithm mplm]\n"
	"intervaltime = 0.5\n";

/* Runner i writes its output to tmp/out-i.txt, err-i.txt. */
static pid_t start_runner(const char *db, int i)
{
	char out[PATH_MAX + 32], err[PATH_MAX + 32];
	snprintf(out, sizeof(out), "%s/out-%d.txt", tmp_dir, i);
	snprintf(err, sizeof(err), "%s/err-%d.txt", tmp_dir, i);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr))
			_exit(125);
		execl(exp_bin, exp_bin, "run", "-j", "2", "--no-progress",
		      "--db", db, ini, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static char *runner_file(const char *kind, int i)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/%s-%d.txt", tmp_dir, kind, i);
	return read_file(p);
}

/* Runner i ended well, with no raw constraint error. */
static void expect_success(pid_t pid, int i)
{
	int rc = wait_exit(pid);
	char *e = runner_file("err", i);
	if (rc != 0 || strstr(e, "constraint"))
		fail_msg("runner %d: exit %d: %s", i, rc, e);
	free(e);
}

/* Every defined run stored exactly once, each complete, no claim left. */
static void assert_complete_once(const char *db)
{
	assert_true(all_runs_once(db, TOTAL_RUNS));
	assert_true(db_value(db, "SELECT count(*) FROM runs WHERE status != "
			     "'completed' OR syncs = 0") == 0);
	assert_true(db_value(db, "SELECT count(*) FROM claims") == 0);
}

/* The "N run now" of runner i's summary line. */
static long ran_by(int i)
{
	char *o = runner_file("out", i);
	const char *p = o ? strstr(o, "runs: ") : NULL;
	long n = p ? strtol(p + 6, NULL, 10) : -1;
	free(o);
	return n;
}

static void test_runners_share_the_work(void **state)
{
	(void)state;
	char db[PATH_MAX + 32];
	path_in_tmp(db, sizeof(db), "together.db");
	pid_t pids[RUNNERS];
	for (int i = 0; i < RUNNERS; i++)
		pids[i] = start_runner(db, i);
	long sum = 0;
	for (int i = 0; i < RUNNERS; i++) {
		expect_success(pids[i], i);
		sum += ran_by(i);
	}
	print_message("%d runners ran %ld, %ld, %ld runs\n", RUNNERS, ran_by(0),
		      ran_by(1), ran_by(2));
	/* Nobody ran a run another one ran. */
	assert_int_equal(sum, TOTAL_RUNS);
	assert_complete_once(db);
}

static void test_killed_runners_leave_their_runs_to_the_rest(void **state)
{
	(void)state;
	char db[PATH_MAX + 32];
	path_in_tmp(db, sizeof(db), "killed.db");
	pid_t pids[RUNNERS];
	for (int i = 0; i < RUNNERS; i++)
		pids[i] = start_runner(db, i);
	double n = 0;
	for (int i = 0; i < 6000 && n < TOTAL_RUNS / 5; i++) {
		sleep_ms(5);
		n = stored_runs(db);
	}
	/* Kill two; reap them at once (a zombie's pid still looks alive). */
	for (int i = 0; i < RUNNERS - 1; i++) {
		kill(pids[i], SIGKILL);
		assert_int_equal(wait_exit(pids[i]), 128 + SIGKILL);
	}
	double at_kill = stored_runs(db);
	print_message("killed 2 of %d runners with %g of %d runs stored\n",
		      RUNNERS, at_kill, TOTAL_RUNS);
	if (!(at_kill > 0 && at_kill < TOTAL_RUNS))
		fail_msg("killed with %g of %d runs stored: not midway", at_kill,
			 TOTAL_RUNS);
	/* The survivor finishes everything, the dead runners' claims too. */
	expect_success(pids[RUNNERS - 1], RUNNERS - 1);
	assert_complete_once(db);
	/* Resuming finds nothing to do. */
	const char *args[] = { "run", "--no-progress", "--db", db, ini, NULL };
	assert_int_equal(run_exp(args), 0);
	char *o = exp_stdout();
	char want[64];
	snprintf(want, sizeof(want), "%d runs: 0 run now", TOTAL_RUNS);
	if (!strstr(o, want))
		fail_msg("resume: %s", o);
	free(o);
}

/* A runner that finds the database locked by a writer waits for it. */
static void test_busy_database_waits(void **state)
{
	(void)state;
	char db[PATH_MAX + 32];
	path_in_tmp(db, sizeof(db), "busy.db");
	const char *args[] = { "run", "--no-progress", "--db", db, ini, NULL };
	assert_int_equal(run_exp(args), 0);
	const char *rerun[] = { "run", "--rerun", "--no-progress", "--db", db,
				ini, NULL };
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL),
			 SQLITE_OK);
	pid_t pid = start_exp(rerun);
	sleep_ms(1500);  /* the runner is blocked on the lock meanwhile */
	assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	int rc = wait_exit(pid);
	char *e = exp_stderr();
	if (rc != 0)
		fail_msg("exit %d: %s", rc, e);
	free(e);
	assert_complete_once(db);
}

int main(int argc, char **argv)
{
	(void)argc;
	helpers_init(argv[0]);
	path_in_tmp(ini, sizeof(ini), "share.ini");
	write_file(ini, experiment);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runners_share_the_work),
		cmocka_unit_test(test_killed_runners_leave_their_runs_to_the_rest),
		cmocka_unit_test(test_busy_database_waits),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	helpers_cleanup();
	return rc;
}

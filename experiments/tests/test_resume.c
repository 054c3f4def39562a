/*
 * test_resume.c - a sweep killed with SIGKILL in the middle leaves only
 * whole runs in the database, and running it again completes exactly the
 * full set of runs, none twice.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "helpers.h"

#define TOTAL_RUNS 200

static char ini[PATH_MAX + 64], db[PATH_MAX + 64];

/* 50 repetitions x (3 pre-copy limits + MPLM) = 200 short runs. */
static const char experiment[] =
	"[experiment]\n"
	"name = resume\n"
	"repetitions = 50\n"
	"memory = 256M\n"
	"max-total-time = 120\n"
	"\n"
	"[workload u]\n"
	"generator = uniform,memory=128M,wss=64M,rate=6000,duration=8\n"
	"start-at = 1\n"
	"\n"
	"[algorithm precopy]\n"
	"downtime-limit = 50ms 300ms 1s\n"
	"\n"
	"[algorithm mplm]\n"
	"intervaltime = 0.5\n";

/* Start the sweep and kill it once some, but not all, runs are stored. */
static void run_and_kill(void)
{
	const char *args[] = { "run", "-j", "2", "--db", db,
			       ini, NULL };
	pid_t pid = start_exp(args);
	double n = 0;
	for (int i = 0; i < 3000 && n < TOTAL_RUNS / 5; i++) {
		sleep_ms(5);
		n = stored_runs(db);
	}
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_killed_sweep_keeps_whole_runs(void **state)
{
	(void)state;
	run_and_kill();
	double n = stored_runs(db);
	print_message("killed with %g of %d runs stored\n", n, TOTAL_RUNS);
	if (!(n > 0 && n < TOTAL_RUNS))
		fail_msg("killed with %g of %d runs stored: not midway", n,
			 TOTAL_RUNS);
	assert_true(db_value(db, "SELECT count(*) FROM pragma_integrity_check"
			     " WHERE integrity_check = 'ok'") == 1);
	/* Every stored run is complete: its results and all its syncs. */
	assert_true(db_value(db, "SELECT count(*) FROM runs WHERE status != "
			     "'completed' OR total_time IS NULL") == 0);
	assert_true(db_value(db, "SELECT count(*) FROM runs r WHERE syncs != "
			     "(SELECT count(*) FROM syncs s WHERE "
			     "s.run_id = r.id) OR syncs = 0") == 0);
	assert_true(db_value(db, "SELECT count(*) FROM syncs WHERE run_id NOT "
			     "IN (SELECT id FROM runs)") == 0);
}

static void test_resume_completes_exactly_once(void **state)
{
	(void)state;
	double before = stored_runs(db);
	const char *args[] = { "run", "-j", "2", "--db", db,
			       ini, NULL };
	int rc = run_exp(args);
	char *o = exp_stdout();
	char want[128];
	snprintf(want, sizeof(want), "%d runs: %d run now (0 failed, 0 not "
		 "converged), %d already stored", TOTAL_RUNS,
		 TOTAL_RUNS - (int)before, (int)before);
	bool ok = rc == 0 && strstr(o, want);
	if (!ok)
		print_error("exit %d, stdout: %s, wanted: %s\n", rc, o, want);
	free(o);
	assert_true(ok);
	assert_true(all_runs_once(db, TOTAL_RUNS));
}

int main(int argc, char **argv)
{
	(void)argc;
	helpers_init(argv[0]);
	path_in_tmp(ini, sizeof(ini), "resume.ini");
	path_in_tmp(db, sizeof(db), "resume.db");
	write_file(ini, experiment);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_killed_sweep_keeps_whole_runs),
		cmocka_unit_test(test_resume_completes_exactly_once),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	helpers_cleanup();
	return rc;
}

/*
 * test_kvm.c - `backend = kvm`: the same experiment file runs real guests
 * under kvmlite and stores them in the same schema as simulated runs,
 * per-sync series included. Skipped, and said so, without /dev/kvm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "helpers.h"

static char ini[PATH_MAX + 64], db[PATH_MAX + 64];

/* Three algorithms on one small real guest: 3 runs. */
static void test_real_guests_stored_like_simulated_runs(void **state)
{
	(void)state;
	REQUIRE_KVM();
	write_file(ini,
		   "[experiment]\n"
		   "name = real\n"
		   "backend = kvm\n"
		   "figure = none\n"
		   "repetitions = 1\n"
		   "seed = 5\n"
		   "memory = 64M\n"
		   "bandwidth = 1Gbps\n"
		   "\n"
		   "[workload uni]\n"
		   "generator = uniform,memory=64M,wss=32M,rate=4000,duration=30\n"
		   "start-at = 0.5\n"
		   "\n"
		   "[algorithm precopy]\n"
		   "downtime-limit = 300ms\n"
		   "\n"
		   "[algorithm mplm]\n"
		   "intervaltime = 0.2\n"
		   "\n"
		   "[algorithm stopcopy]\n");
	const char *args[] = { "run", "-j", "2", "--db", db, ini, NULL };
	int rc = run_exp(args);
	if (rc != 0) {
		char *e = exp_stderr();
		printf("mplm-exp run: exit %d: %s\n", rc, e);
		free(e);
	}
	assert_int_equal(rc, 0);
	assert_true(db_value(db, "SELECT count(*) FROM runs WHERE backend = 'kvm'") == 3);
	assert_true(db_value(db, "SELECT count(*) FROM runs WHERE status = 'completed'"
			     " AND verified = 1 AND mismatches = 0") == 3);
	assert_true(db_value(db, "SELECT min(total_time) FROM runs") > 0);
	/* Every run has its per-sync series; MPLM synced at least twice. */
	assert_true(db_value(db, "SELECT count(DISTINCT run_id) FROM syncs") == 3);
	assert_true(db_value(db, "SELECT count(*) FROM syncs s JOIN runs r ON"
			     " r.id = s.run_id WHERE r.algorithm = 'mplm'") >= 2);
}

/* A trace file cannot drive a real guest: FILE:LINE and a non-zero exit. */
static void test_trace_workload_rejected(void **state)
{
	(void)state;
	char text[PATH_MAX + 256];
	snprintf(text, sizeof(text),
		 "[experiment]\n"
		 "name = bad\n"
		 "backend = kvm\n"
		 "memory = 1G\n"
		 "\n"
		 "[workload t]\n"
		 "trace = %s/npb-mg.B.trace.gz\n"
		 "\n"
		 "[algorithm mplm]\n",
		 npb_dir);
	write_file(ini, text);
	const char *args[] = { "run", "--db", db, ini, NULL };
	assert_int_not_equal(run_exp(args), 0);
	char *e = exp_stderr();
	char want[PATH_MAX + 80];
	snprintf(want, sizeof(want), "%s:7:", ini);
	bool ok = strstr(e, want) && strstr(e, "generator spec");
	if (!ok)
		printf("unexpected error: %s\n", e);
	free(e);
	assert_true(ok);
}

int main(int argc, char **argv)
{
	(void)argc;
	helpers_init(argv[0]);
	path_in_tmp(ini, sizeof(ini), "kvm.ini");
	path_in_tmp(db, sizeof(db), "kvm.db");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_guests_stored_like_simulated_runs),
		cmocka_unit_test(test_trace_workload_rejected),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	helpers_cleanup();
	return rc;
}

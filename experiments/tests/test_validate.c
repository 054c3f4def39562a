/*
 * test_validate.c - `mplm-exp validate` end to end, small (make validate
 * is the real one): this host calibrated into a profile, two real guests
 * recorded while they migrate, each recording replayed by the simulator
 * with the profile's costs, pairs stored, errors computed, the figure and
 * tables written. It asserts that the pipeline works, not how accurate
 * the simulator is. Skipped, and said so, without /dev/kvm; the refusals
 * run everywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include "helpers.h"

static char db[PATH_MAX + 32], ini[PATH_MAX + 32], profile[PATH_MAX + 32];

/* Two cases, one run each, 64 MiB guests that migrate 1 s into their run. */
static const char small_ini[] =
	"[experiment]\n"
	"name = vsmall\n"
	"backend = kvm\n"
	"record-trace = traces\n"
	"bandwidth = 1Gbps\n"
	"[workload uni]\n"
	"label = uniform 60M\n"
	"generator = uniform,memory=60M,wss=32M,rate=20000,duration=4\n"
	"start-at = 1\n"
	"[workload hot]\n"
	"label = hotspot 60M\n"
	"generator = hotspot,memory=60M,wss=48M,rate=20000,duration=4\n"
	"start-at = 1\n"
	"[algorithm precopy]\n"
	"downtime-limit = 300ms\n"
	"[algorithm mplm]\n"
	"intervaltime = 0.5\n";

/* kvmlite calibrate, next to mplm-exp, into tmp/host.prof. */
static int calibrate(void)
{
	char cmd[3 * PATH_MAX];
	char dir[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s", exp_bin);
	snprintf(cmd, sizeof(cmd), "'%s/kvmlite/kvmlite' calibrate --memory 64M "
		 "--output '%s' 2>/dev/null", dirname(dir), profile);
	return system(cmd);
}

static int validate(void)
{
	const char *args[] = { "validate", "--no-progress", "--quiet", "--db", db,
			       "--out", tmp_dir, "--profile", profile, ini, NULL };
	return run_exp(args);
}

/* One run and one sync each side, from which the stored error follows. */
static void check_csv_row(const char *line)
{
	long kvm_id = 0, sim_id = 0;
	double m_total, p_total, e_total, m_down, p_down, e_down;
	/* case,experiment,"label",repetition,kvm,sim,status,trace,start,... */
	const char *q = strchr(line, '"');
	assert_non_null(q);
	q = strchr(q + 1, '"');
	assert_non_null(q);
	assert_int_equal(sscanf(q + 1, ",%*d,%ld,%ld,completed,%*[^,],%*f,%lf,%lf,"
				"%lf,%lf,%lf,%lf", &kvm_id, &sim_id, &m_total,
				&p_total, &e_total, &m_down, &p_down, &e_down), 8);
	assert_float_equal(m_total, db_value(db, "SELECT total_time FROM runs "
					     "WHERE id = %ld", kvm_id), 1e-9);
	assert_float_equal(p_total, db_value(db, "SELECT total_time FROM runs "
					     "WHERE id = %ld", sim_id), 1e-9);
	assert_float_equal(e_total, (p_total - m_total) / m_total * 100, 1e-4);
	assert_float_equal(e_down, (p_down - m_down) / m_down * 100, 1e-4);
	/* The replay's trace is the kvm run's recording. */
	assert_true(db_value(db, "SELECT count(*) FROM runs s JOIN recordings r "
			     "ON s.source = r.trace WHERE s.id = %ld AND "
			     "r.run_id = %ld", sim_id, kvm_id) == 1);
}

static void test_pipeline(void **state)
{
	(void)state;
	REQUIRE_KVM();
	assert_int_equal(calibrate(), 0);
	write_file(ini, small_ini);
	int rc = validate();
	if (rc != 0) {
		char *e = exp_stderr();
		fail_msg("mplm-exp validate exited %d: %s", rc, e);
	}
	/* Four real runs, recorded, each replayed once by the simulator. */
	assert_true(db_value(db, "SELECT count(*) FROM current WHERE experiment = "
			     "'vsmall' AND backend = 'kvm' AND status = 'completed'") == 4);
	assert_true(db_value(db, "SELECT count(*) FROM recordings") == 4);
	assert_true(db_value(db, "SELECT count(*) FROM current WHERE experiment = "
			     "'vsmall-replay' AND backend = 'sim' AND source_kind = "
			     "'trace' AND status = 'completed' AND verified = 1 "
			     "AND mismatches = 0") == 4);
	/* The migration started after the guest's 1 s: the replay's start. */
	assert_true(db_value(db, "SELECT min(start_at) FROM recordings") >= 1.0);
	assert_true(db_value(db, "SELECT count(*) FROM runs s JOIN recordings r "
			     "ON s.source = r.trace WHERE s.start_at = r.start_at") == 4);
	/* The replays' costs are the profile's (kvmlite: 20-byte headers). */
	assert_true(db_value(db, "SELECT count(*) FROM current WHERE experiment = "
			     "'vsmall-replay' AND header_bytes = 20") == 4);
	/* Same parameters each side of a pair. */
	assert_true(db_value(db, "SELECT count(*) FROM runs s JOIN recordings r ON "
			     "s.source = r.trace JOIN runs k ON k.id = r.run_id WHERE "
			     "s.algorithm = k.algorithm AND s.downtime_limit IS "
			     "k.downtime_limit AND s.intervaltime IS k.intervaltime AND "
			     "s.point_hash = k.point_hash AND s.repetition = "
			     "k.repetition AND s.vm_pages = k.vm_pages") == 4);
	/* Where the costs came from is stored with the replays. */
	assert_true(db_value(db, "SELECT count(*) FROM experiments WHERE name = "
			     "'vsmall-replay' AND config LIKE '%%kvmlite calibrate%%'") == 1);
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/validate/validation.png", tmp_dir);
	assert_true(is_png(path));
	snprintf(path, sizeof(path), "%s/validate/errors.md", tmp_dir);
	char *md = read_file(path);
	assert_non_null(md);
	assert_non_null(strstr(md, "| 4 | hotspot 60M, 1 Gbps, mplm | 1/1 |"));
	assert_non_null(strstr(md, "* total time: median absolute error"));
	assert_non_null(strstr(md, "* downtime: median absolute error"));
	free(md);
	snprintf(path, sizeof(path), "%s/validate/errors.csv", tmp_dir);
	char *csv = read_file(path);
	assert_non_null(csv);
	int rows = 0;
	for (char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		check_csv_row(line + 1);
		rows++;
	}
	assert_int_equal(rows, 4);
	free(csv);
	/* Again: nothing is run twice; the report is written again. */
	assert_int_equal(validate(), 0);
	char *out = exp_stdout();
	assert_non_null(strstr(out, "vsmall: 4 runs: 0 run now"));
	assert_non_null(strstr(out, "vsmall-replay: 4 runs: 0 run now"));
	free(out);
}

static void expect_refusal(const char *const *args, int status, const char *what)
{
	assert_int_equal(run_exp(args), status);
	char *e = exp_stderr();
	if (!strstr(e, what))
		fail_msg("expected \"%s\" in: %s", what, e);
	/* One line. */
	assert_true(one_line(e));
	free(e);
	/* Nothing stored. */
	assert_true(stored_rows(db, "experiments") == 0);
}

static void test_refusals(void **state)
{
	(void)state;
	char sim_ini[PATH_MAX + 32];
	path_in_tmp(sim_ini, sizeof(sim_ini), "sim.ini");
	write_file(sim_ini, "[experiment]\nname = s\nrecord-trace = t\n"
			    "[workload u]\ngenerator = uniform,pages=64,rate=10,duration=2\n"
			    "[algorithm precopy]\n");
	const char *check[] = { "check", sim_ini, NULL };
	expect_refusal(check, 1, "sim.ini:3: record-trace: backend sim runs no real guest");
	const char *no_profile[] = { "validate", "--db", db, sim_ini, NULL };
	expect_refusal(no_profile, 2, "validate: say --profile FILE");
	write_file(sim_ini, "[experiment]\nname = s\n"
			    "[workload u]\ngenerator = uniform,pages=64,rate=10,duration=2\n"
			    "[algorithm precopy]\n");
	/* A bad profile is refused before any run. */
	const char *bad_profile[] = { "validate", "--db", db, "--profile", sim_ini,
				      sim_ini, NULL };
	expect_refusal(bad_profile, 1, "sim.ini: line 1:");
	char prof[PATH_MAX + 32];
	path_in_tmp(prof, sizeof(prof), "small.prof");
	write_file(prof, "header-bytes = 20\n");
	const char *not_recorded[] = { "validate", "--db", db, "--profile", prof,
				       sim_ini, NULL };
	expect_refusal(not_recorded, 1, "needs backend = kvm and record-trace = DIR");
	/* Every file is checked before the first one runs: a mistake in the
	 * second is said before the first's real migrations, and stops them. */
	char kvm_ini[PATH_MAX + 32], bad_ini[PATH_MAX + 32];
	path_in_tmp(kvm_ini, sizeof(kvm_ini), "kvm.ini");
	path_in_tmp(bad_ini, sizeof(bad_ini), "bad.ini");
	write_file(kvm_ini, small_ini);
	write_file(bad_ini, "[experiment]\nname = b\nbackend = kvm\n"
			    "record-trace = t\nbandwidth = fast\n");
	const char *second_bad[] = { "validate", "--db", db, "--profile", prof,
				     kvm_ini, bad_ini, NULL };
	expect_refusal(second_bad, 1, "bad.ini:5:");
	assert_true(stored_rows(db, "experiments") == 0);
}

/* Whether uid can use /dev/kvm: asked in a child that becomes uid. */
static bool kvm_usable_as(uid_t uid)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
			_exit(2);
		_exit(kvm_unusable() ? 1 : 0);
	}
	return wait_exit(pid) == 0;
}

/* Without /dev/kvm (as uid 65534 when the test runs as root: /dev/kvm is
 * root's here), `run` and `validate` of a kvm file refuse it in one line
 * before anything is stored: no failed runs, no empty replay. */
static void test_no_kvm(void **state)
{
	(void)state;
	uid_t as = (uid_t)-1;
	if (!kvm_unusable()) {
		if (geteuid() != 0 || kvm_usable_as(65534)) {
			printf("SKIP: /dev/kvm is usable and no user at hand lacks it\n");
			skip();
		}
		as = 65534;
	}
	/* A folder that user can write (the test's own is 0700). */
	char dir[PATH_MAX + 32], kdb[PATH_MAX + 64], kini[PATH_MAX + 64],
	     prof[PATH_MAX + 64], traces[PATH_MAX + 64];
	path_in_tmp(dir, sizeof(dir), "nokvm");
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(chmod(tmp_dir, 0711), 0);
	snprintf(kdb, sizeof(kdb), "%s/k.db", dir);
	snprintf(kini, sizeof(kini), "%s/k.ini", dir);
	snprintf(prof, sizeof(prof), "%s/k.prof", dir);
	snprintf(traces, sizeof(traces), "%s/traces", dir);
	write_file(kini, small_ini);
	write_file(prof, "header-bytes = 20\n");
	const char *run[] = { "run", "--no-progress", "--db", kdb, kini, NULL };
	const char *val[] = { "validate", "--no-progress", "--quiet", "--db", kdb,
			      "--out", dir, "--profile", prof, kini, NULL };
	const char *const *cmds[] = { run, val };
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "mplm-exp: %s: backend kvm: ", kini);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(wait_exit(start_exp_as(cmds[i], as)), 1);
		char *e = exp_stderr();
		if (strncmp(e, want, strlen(want)) || !strstr(e, "/dev/kvm"))
			fail_msg("expected \"%s.../dev/kvm...\", got: %s", want, e);
		assert_true(one_line(e));
		free(e);
		assert_true(stored_rows(kdb, "experiments") == 0);
		assert_true(stored_runs(kdb) == 0);
		assert_int_equal(access(traces, F_OK), -1);
	}
	assert_int_equal(chmod(tmp_dir, 0700), 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	helpers_init(argv[0]);
	path_in_tmp(db, sizeof(db), "v.db");
	path_in_tmp(ini, sizeof(ini), "v.ini");
	path_in_tmp(profile, sizeof(profile), "host.prof");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_no_kvm),
		cmocka_unit_test(test_pipeline),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	helpers_cleanup();
	return rc;
}

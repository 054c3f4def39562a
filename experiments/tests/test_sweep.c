/*
 * test_sweep.c - a small sweep end to end through the mplm-exp binary:
 * the database rows (experiment, runs with every parameter, per-sync
 * rows), a second run that skips everything, valid PNG figures, the
 * tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"
#include "mplm.h"

static char ini[PATH_MAX + 64], db[PATH_MAX + 64], out[PATH_MAX + 64];

/* 2 workloads x (3 pre-copy limits + MPLM) x 2 repetitions = 16 runs. */
static void write_experiment(void)
{
	char text[8192];
	snprintf(text, sizeof(text),
		 "[experiment]\n"
		 "name = small\n"
		 "description = test sweep\n"
		 "repetitions = 2\n"
		 "seed = 3\n"
		 "memory = 1G\n"
		 "bandwidth = 1Gbps\n"
		 "max-total-time = 300\n"
		 "\n"
		 "[workload uni]\n"
		 "label = uniform 64 MiB\n"
		 "generator = uniform,memory=64M,rate=8000,duration=20\n"
		 "start-at = 2\n"
		 "start-jitter = 1\n"
		 "\n"
		 "[workload mg]\n"
		 "trace = %s/npb-mg.B.trace.gz\n"
		 "placement = top\n"
		 "static = 16M\n"
		 "start-at = 1\n"
		 "\n"
		 "[algorithm precopy]\n"
		 "downtime-limit = 300ms 1s 5s\n"
		 "\n"
		 "[algorithm mplm]\n"
		 "\n"
		 "[reference uni]\n"
		 "mplm.total = 2\n"
		 "precopy.downtime@5s = ~1\n",
		 npb_dir);
	write_file(ini, text);
}

static void test_run_stores_every_run(void **state)
{
	(void)state;
	const char *args[] = { "run", "-j", "2", "--db", db,
			       "--no-progress", ini, NULL };
	int rc = run_exp(args);
	char *o = exp_stdout(), *e = exp_stderr();
	if (rc != 0)
		fail_msg("exit %d\nstdout: %s\nstderr: %s", rc, o, e);
	if (!strstr(o, "small: 16 runs: 16 run now (0 failed"))
		fail_msg("stdout: %s", o);
	assert_string_equal(e, ""); /* no progress bar off a terminal */
	free(o);
	free(e);

	assert_true(db_value(db, "SELECT count(*) FROM experiments WHERE "
			     "name = 'small' AND tool_version = '%s' AND "
			     "git_commit != ''", MPLM_VERSION) == 1);
	assert_true(db_value(db, "SELECT count(*) FROM runs") == 16);
	assert_true(db_value(db, "SELECT count(*) FROM runs WHERE status = "
			     "'completed' AND converged = 1") == 16);
	/* Every parameter and result is there. */
	assert_true(db_value(db, "SELECT count(*) FROM runs WHERE vm_bytes = "
			     "1073741824 AND link_bandwidth = 125e6 AND "
			     "backend = 'sim' AND total_time > 0 AND "
			     "downtime > 0 AND live_time >= 0 AND "
			     "transferred_bytes > 0 AND normal_pages > 0 AND "
			     "zero_pages > 0 AND syncs > 0 AND "
			     "metadata_bytes > 0 AND peak_rss_bytes > 0 AND "
			     "touched_pages > 0 AND sent_ratio > 0") == 16);
	assert_true(db_value(db, "SELECT count(DISTINCT downtime_limit) FROM "
			     "runs WHERE algorithm = 'precopy'") == 3);
	assert_true(db_value(db, "SELECT count(*) FROM runs WHERE algorithm = "
			     "'mplm' AND dirtypercents = 50 AND "
			     "intervaltime = 3") == 4);
	/* The per-sync series: one row per sync of every run. */
	assert_true(db_value(db, "SELECT count(*) FROM runs r WHERE syncs != "
			     "(SELECT count(*) FROM syncs s WHERE "
			     "s.run_id = r.id)") == 0);
	assert_true(db_value(db, "SELECT count(*) FROM syncs WHERE final = 1")
		    == 16);
	/* Two repetitions per point, different seeds. */
	assert_true(db_value(db, "SELECT count(DISTINCT point_hash) FROM runs")
		    == 8);
	assert_true(db_value(db, "SELECT count(DISTINCT seed) FROM runs") == 2);
}

static void test_rerun_skips_stored_runs(void **state)
{
	(void)state;
	const char *args[] = { "run", "--db", db, ini, NULL };
	assert_int_equal(run_exp(args), 0);
	char *o = exp_stdout();
	if (!strstr(o, "0 run now") || !strstr(o, "16 already stored"))
		fail_msg("stdout: %s", o);
	free(o);
	assert_true(db_value(db, "SELECT count(*) FROM runs") == 16);
}

static void check_png(const char *name)
{
	char p[PATH_MAX + 128];
	snprintf(p, sizeof(p), "%s/small/%s", out, name);
	if (!is_png(p))
		fail_msg("%s is not a PNG", p);
}

static void test_plot_writes_pngs(void **state)
{
	(void)state;
	const char *args[] = { "plot", "--db", db, "--out", out, "small", NULL };
	int rc = run_exp(args);
	if (rc) {
		char *e = exp_stderr();
		print_error("plot exit %d: %s\n", rc, e);
		free(e);
		fail();
	}
	check_png("fig4-uni.png");
	check_png("fig4-mg.png");
	check_png("fig4.png");
	char p[PATH_MAX + 128];
	snprintf(p, sizeof(p), "%s/small/fig4.svg", out);
	char *svg = read_file(p);
	assert_non_null(svg);
	assert_non_null(strstr(svg, "<svg"));
	free(svg);
}

static void test_report_tables(void **state)
{
	(void)state;
	const char *args[] = { "report", "--db", db, "--out", out, "small", NULL };
	assert_int_equal(run_exp(args), 0);
	char *o = exp_stdout();
	bool ok = strstr(o, "| uniform 64 MiB | precopy | downtime-limit 5 s |") &&
		  strstr(o, "| uniform 64 MiB | mplm total time (s) | 2 |");
	if (!ok)
		print_error("report: %s\n", o);
	free(o);
	assert_true(ok);
	char p[PATH_MAX + 128];
	snprintf(p, sizeof(p), "%s/small/summary.csv", out);
	char *csv = read_file(p);
	assert_non_null(csv);
	/* A header and one line per point. */
	size_t lines = 0;
	for (char *c = csv; *c; c++)
		lines += *c == '\n';
	free(csv);
	assert_int_equal(lines, 1 + 8);
	/* The machine's figures are apart from the summary. */
	snprintf(p, sizeof(p), "%s/small/summary.md", out);
	char *md = read_file(p);
	snprintf(p, sizeof(p), "%s/small/machine.md", out);
	char *machine = read_file(p);
	ok = md && machine && !strstr(md, "RSS") && !strstr(md, "wall") &&
	     strstr(machine, "| peak RSS (MiB) |") &&
	     strstr(machine, "| uniform 64 MiB | precopy | downtime-limit 5 s | 2 | ");
	if (!ok)
		print_error("summary.md: %s\nmachine.md: %s\n", md, machine);
	free(md);
	free(machine);
	assert_true(ok);
}

/* The experiment run again from scratch gives the same tables and
 * figures, byte for byte; only machine.md and machine.csv may differ. */
static void test_rerun_gives_the_same_files(void **state)
{
	(void)state;
	char again[PATH_MAX + 64], cmd[4 * PATH_MAX];
	path_in_tmp(again, sizeof(again), "results-again");
	mkdir(again, 0777);
	const char *run[] = { "run", "--rerun", "-j", "2", "--db", db, ini, NULL };
	const char *plot[] = { "plot", "--db", db, "--out", again, "small", NULL };
	const char *report[] = { "report", "--quiet", "--db", db, "--out", again,
				 "small", NULL };
	assert_int_equal(run_exp(run), 0);
	assert_int_equal(run_exp(plot), 0);
	assert_int_equal(run_exp(report), 0);
	snprintf(cmd, sizeof(cmd), "test -s '%s/small/machine.md' && "
		 "diff -r -x 'machine.*' '%s/small' '%s/small' >&2", again, out,
		 again);
	assert_int_equal(system(cmd), 0);
}

/* sim_run failing (a VM size that is not a whole number of pages) is
 * stored as failed with the reason, without results; exit status 3. */
static void test_failed_runs_are_stored_as_failed(void **state)
{
	(void)state;
	char bad[PATH_MAX + 64];
	path_in_tmp(bad, sizeof(bad), "broken.ini");
	write_file(bad, "[experiment]\nname = broken\nrepetitions = 2\n"
		   "memory = 100000000\n\n[workload u]\n"
		   "generator = uniform,memory=16M,rate=100,duration=5\n\n"
		   "[algorithm mplm]\n");
	const char *args[] = { "run", "--db", db, bad, NULL };
	assert_int_equal(run_exp(args), 3);
	char *o = exp_stdout();
	bool ok = strstr(o, "2 run now (2 failed") != NULL;
	free(o);
	assert_true(ok);
	assert_true(db_value(db, "SELECT count(*) FROM current WHERE experiment"
			     " = 'broken' AND status = 'failed' AND converged = 0"
			     " AND total_time IS NULL AND downtime IS NULL AND "
			     "error LIKE '%%not a multiple of%%'") == 2);
	/* Skipped like any stored run, retried on request. */
	assert_int_equal(run_exp(args), 0);
	const char *retry[] = { "run", "--retry-failed", "--db", db, bad, NULL };
	assert_int_equal(run_exp(retry), 3);
	assert_true(db_value(db, "SELECT count(*) FROM current WHERE experiment"
			     " = 'broken'") == 2);
	const char *rep[] = { "report", "--db", db, "--out", out, "broken", NULL };
	assert_int_equal(run_exp(rep), 0);
	o = exp_stdout();
	ok = strstr(o, "| 0/0/2 |") != NULL;
	free(o);
	assert_true(ok);
}

/* A trace that goes bad after the point where its migrations end: `check`
 * says where (one line, exit 1), and `run` stores the run as failed with
 * that reason, never as a result. */
static void test_late_trace_error(void **state)
{
	(void)state;
	char late[PATH_MAX + 64], want[PATH_MAX + 64], late_db[PATH_MAX + 64];
	path_in_tmp(late_db, sizeof(late_db), "late.db");
	write_trace_with_tail("late.trace", "d 300000 1\n");
	path_in_tmp(late, sizeof(late), "late.ini");
	write_file(late, "[experiment]\nname = late\n\n[workload t]\n"
		   "trace = late.trace\n\n[algorithm mplm]\n");
	path_in_tmp(want, sizeof(want), "late.trace:55: d time 300000 does not increase");

	const char *check[] = { "check", late, NULL };
	assert_int_equal(run_exp(check), 1);
	char *e = exp_stderr();
	bool ok = strstr(e, want) && strstr(e, "late.ini:") && one_line(e);
	if (!ok)
		print_error("check: %s\n", e);
	free(e);
	assert_true(ok);

	const char *args[] = { "run", "--db", late_db, late, NULL };
	assert_int_equal(run_exp(args), 3);
	assert_true(db_value(late_db, "SELECT count(*) FROM current WHERE status ="
			     " 'failed' AND total_time IS NULL AND error LIKE"
			     " '%%:55: d time 300000 does not increase%%'") == 1);
	assert_true(db_value(late_db, "SELECT count(*) FROM runs WHERE status"
			     " <> 'failed'") == 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	helpers_init(argv[0]);
	path_in_tmp(ini, sizeof(ini), "small.ini");
	path_in_tmp(db, sizeof(db), "results/mplm.db");
	path_in_tmp(out, sizeof(out), "results");
	mkdir(out, 0777);
	write_experiment();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_stores_every_run),
		cmocka_unit_test(test_late_trace_error),
		cmocka_unit_test(test_rerun_skips_stored_runs),
		cmocka_unit_test(test_plot_writes_pngs),
		cmocka_unit_test(test_report_tables),
		cmocka_unit_test(test_rerun_gives_the_same_files),
		cmocka_unit_test(test_failed_runs_are_stored_as_failed),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	helpers_cleanup();
	return rc;
}

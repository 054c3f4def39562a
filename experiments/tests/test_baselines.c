/*
 * test_baselines.c - the baselines comparison end to end: a guest too
 * fast for pre-copy at 300 ms, which auto-converge's throttle brings to
 * convergence and post-copy moves after one pass, and a slow one. Each
 * run stores the guest's lost work, the throttle reached and post-copy's
 * figures (schema 3), `plot` draws the grouped bars with the
 * non-converged point marked as such, and `report` writes the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"

static char ini[PATH_MAX + 64], db[PATH_MAX + 64], out[PATH_MAX + 64];

/* fast: 5000 pages/s over a 100 Mbps link (3052 pages/s): pre-copy does
 * not converge within the 30 s cap; auto-converge throttles it to
 * convergence (50 %, in about 19 s). slow: 1500 pages/s, every algorithm
 * converges unthrottled. Post-copy switches after the first pass on
 * both; only the fast guest touches pages that have not arrived. 2
 * workloads x 4 algorithms x 2 repetitions = 16 runs. */
static const char experiment[] =
	"[experiment]\n"
	"name = bl\n"
	"figure = baselines\n"
	"repetitions = 2\n"
	"memory = 256M\n"
	"bandwidth = 100Mbps\n"
	"max-total-time = 30\n"
	"\n"
	"[workload fast]\n"
	"label = fast guest\n"
	"generator = uniform,memory=128M,wss=16M,rate=5000,duration=100\n"
	"start-at = 1\n"
	"\n"
	"[workload slow]\n"
	"generator = uniform,memory=128M,wss=64M,rate=1500,duration=100\n"
	"start-at = 1\n"
	"\n"
	"[algorithm precopy]\n"
	"downtime-limit = 300ms\n"
	"\n"
	"[algorithm precopy-ac]\n"
	"algorithm = precopy\n"
	"downtime-limit = 300ms\n"
	"auto-converge = on\n"
	"\n"
	"[algorithm mplm]\n"
	"\n"
	"[algorithm postcopy]\n"
	"algorithm = precopy\n"
	"downtime-limit = 300ms\n"
	"postcopy-ram = on\n"
	"postcopy-after-passes = 1\n";

static char *out_file(const char *name)
{
	char p[PATH_MAX + 128];
	snprintf(p, sizeof(p), "%s/bl/%s", out, name);
	char *s = read_file(p);
	if (!s)
		fail_msg("%s was not written", p);
	return s;
}

static double count(const char *where)
{
	return db_value(db, "SELECT count(*) FROM current WHERE %s", where);
}

static void test_the_guest_lost_work_is_stored(void **state)
{
	(void)state;
	assert_true(db_value(db, "PRAGMA user_version") == 3);
	assert_true(count("1") == 16);
	/* The throttled runs lost work, within what the throttle allows:
	 * it only rises, so no more than live time x its last share. */
	assert_true(count("workload = 'fast' AND algorithm_name = "
			  "'precopy-ac' AND status = 'completed' AND "
			  "guest_lost > 0 AND cpu_throttle_percentage >= 20 "
			  "AND guest_lost <= live_time * "
			  "cpu_throttle_percentage / 100.0") == 2);
	/* The throttle stored is the last one in force at a sync. */
	assert_true(count("cpu_throttle_percentage IS NOT (SELECT "
			  "max(throttle) FROM syncs s WHERE s.run_id = "
			  "current.id) AND auto_converge = 1") == 0);
	/* Without auto-converge or post-copy nothing is lost and no
	 * throttle applies. */
	assert_true(count("algorithm_name IN ('precopy', 'mplm') AND "
			  "(guest_lost != 0 OR cpu_throttle_percentage IS NOT "
			  "NULL)") == 0);
	assert_true(count("workload = 'fast' AND algorithm_name = 'precopy' "
			  "AND status = 'not-converged' AND downtime IS NULL")
		    == 2);
	assert_true(count("status = 'completed'") == 14);
	/* The simulator's default replay, stored. */
	assert_true(count("replay = 'spread'") == 16);
}

static void test_post_copy_figures_are_stored(void **state)
{
	(void)state;
	/* Every post-copy run switched after its first pass: its wait is
	 * all of its lost work (no throttle), the downtime is the state's,
	 * and the total is the pre-copy stage, the downtime and the
	 * degradation window. */
	assert_true(count("algorithm_name = 'postcopy' AND status = 'completed'"
			  " AND postcopy_ram = 1 AND postcopy_after_passes = 1"
			  " AND start_postcopy_at IS NULL AND rtt > 0 AND"
			  " postcopy_requests IS NOT NULL AND"
			  " abs(guest_lost - postcopy_wait) < 1e-9 AND"
			  " postcopy_time > 0 AND downtime < 0.05 AND"
			  " abs(total_time - live_time - downtime -"
			  " postcopy_time) < 1e-6")
		    == 4);
	/* The fast guest faulted and waited; each fault costs at least
	 * its round trip. */
	assert_true(count("algorithm_name = 'postcopy' AND workload = 'fast' "
			  "AND postcopy_requests > 0 AND postcopy_wait >= "
			  "postcopy_requests * rtt") == 2);
	/* Elsewhere post-copy's figures and settings do not apply. */
	assert_true(count("algorithm_name != 'postcopy' AND (postcopy_requests "
			  "IS NOT NULL OR postcopy_wait IS NOT NULL OR "
			  "postcopy_time IS NOT NULL OR postcopy_after_passes "
			  "IS NOT NULL OR rtt IS NOT NULL)") == 0);
	assert_true(count("algorithm = 'precopy' AND algorithm_name != "
			  "'postcopy' AND postcopy_ram = 0") == 8);
	assert_true(count("algorithm = 'mplm' AND postcopy_ram IS NULL") == 4);
}

static void test_the_figure_marks_what_did_not_converge(void **state)
{
	(void)state;
	const char *args[] = { "plot", "--db", db, "--out", out, "bl", NULL };
	assert_int_equal(run_exp(args), 0);
	char *said = exp_stdout();
	assert_non_null(strstr(said, "/bl/baselines.png and .svg"));
	/* Its page replaces the trade-off view. */
	assert_null(strstr(said, "tradeoff"));
	free(said);
	char p[PATH_MAX + 128];
	snprintf(p, sizeof(p), "%s/bl/baselines.png", out);
	assert_true(is_png(p));
	char *dat = out_file("baselines.dat");
	/* A block per algorithm section, a row per workload. */
	assert_non_null(strstr(dat, "# precopy\n"));
	assert_non_null(strstr(dat, "\n\n\n# precopy-ac\n"));
	assert_non_null(strstr(dat, "\n\n\n# mplm\n"));
	assert_non_null(strstr(dat, "\n\n\n# postcopy\n"));
	/* fast under pre-copy: no time, a note; first bar of group 0. */
	char *row = strstr(dat, "# precopy\n") + strlen("# precopy\n");
	assert_true(!strncmp(row, "-0.3150 nan nan nan nan nan nan nan nan "
			     "nan 2 0 \"not converged\"", 58));
	free(dat);
	char *gp = out_file("baselines.gp");
	assert_non_null(strstr(gp, "set label \"not converged\" at -0.3150,"));
	assert_non_null(strstr(gp, "set multiplot layout 3,1"));
	assert_non_null(strstr(gp, "title \"pre-copy 0.3 s, auto-converge\""));
	assert_non_null(strstr(gp, "title \"pre-copy 0.3 s, post-copy after 1 "
			       "pass\""));
	assert_non_null(strstr(gp, "set xtics scale 0 (\"fast\\nguest\" 0, "
			       "\"slow\" 1)"));
	/* Total times from 3 to 19 s: linear from 0; downtimes from
	 * post-copy's 5 ms to MPLM's second: logarithmic. */
	assert_non_null(strstr(gp, "unset logscale y\nset yrange [0:"));
	assert_non_null(strstr(gp, "set ylabel \"downtime (s), log scale\"\n"));
	free(gp);
}

static void test_the_table_has_every_point(void **state)
{
	(void)state;
	const char *args[] = { "report", "--db", db, "--out", out, "bl", NULL };
	assert_int_equal(run_exp(args), 0);
	char *md = exp_stdout();
	assert_non_null(strstr(md, "## bl: total time, downtime and the "
			       "guest's lost work"));
	assert_non_null(strstr(md, "| fast guest | precopy | downtime-limit "
			       "0.3 s | 0/2/0 | not converged | - | - | - | - | - | - |\n"));
	assert_non_null(strstr(md, "| fast guest | precopy-ac | downtime-limit "
			       "0.3 s, auto-converge | 2/0/0 | "));
	/* Post-copy's columns, filled for its runs only. */
	assert_non_null(strstr(md, " | remote faults | fault wait (s) | "
			       "degradation window (s) |\n"));
	assert_non_null(strstr(md, "| slow | mplm | dirtypercents 50, "
			       "intervaltime 3 s | 2/0/0 | "));
	assert_non_null(strstr(md, "| fast guest | postcopy | downtime-limit "
			       "0.3 s, post-copy after 1 pass | 2/0/0 | "));
	free(md);
	char *csv = out_file("baselines.csv");
	assert_true(!strncmp(csv, "workload,algorithm_name,algorithm,"
			     "downtime_limit,dirtypercents,intervaltime,"
			     "auto_converge,vm_bytes,link_bandwidth,runs,"
			     "completed,not_converged,failed,total_time_mean,", 130));
	assert_non_null(strstr(csv, ",guest_lost_mean,guest_lost_sd,"));
	assert_non_null(strstr(csv, "\nfast,precopy,precopy,0.3,,,0,"));
	int lines = 0;
	for (const char *c = csv; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 9);
	assert_non_null(strstr(csv, ",postcopy_time_mean,postcopy_time_sd,"));
	free(csv);
}

int main(int argc, char **argv)
{
	(void)argc;
	helpers_init(argv[0]);
	path_in_tmp(ini, sizeof(ini), "bl.ini");
	path_in_tmp(db, sizeof(db), "bl.db");
	path_in_tmp(out, sizeof(out), "out");
	write_file(ini, experiment);
	if (!run_setup(ini, db))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_guest_lost_work_is_stored),
		cmocka_unit_test(test_post_copy_figures_are_stored),
		cmocka_unit_test(test_the_figure_marks_what_did_not_converge),
		cmocka_unit_test(test_the_table_has_every_point),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	helpers_cleanup();
	return rc;
}

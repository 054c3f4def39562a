/*
 * test_plot.c - figures follow the data: the axes span what was measured
 * (log where it spans decades), every configuration is labelled, the .dat
 * files carry the parameters, the trade-off view has a panel per link
 * speed, the generic --x/--y/--by/--facet form works, and `plot` says what
 * it wrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"

static char ini[PATH_MAX + 64], db[PATH_MAX + 64], out[PATH_MAX + 64];

/* Small limits (0.3-5 s, not the paper's 0.3-120 s), three MPLM points,
 * two link speeds. */
static const char experiment[] =
	"[experiment]\n"
	"name = figs\n"
	"memory = 512M\n"
	"bandwidth = 1Gbps 10Gbps\n"
	"\n"
	"[workload hot]\n"
	"label = hot spot\n"
	"generator = hotspot,memory=384M,wss=384M,rate=30000,duration=40,"
	"hot=0.1,skew=0.9\n"
	"start-at = 2\n"
	"\n"
	"[algorithm precopy]\n"
	"downtime-limit = 300ms 1s 5s\n"
	"\n"
	"[algorithm mplm]\n"
	"dirtypercents = 30 50 70\n"
	"intervaltime = 1\n";

static char *out_file(const char *name)
{
	char p[PATH_MAX + 128];
	snprintf(p, sizeof(p), "%s/figs/%s", out, name);
	return read_file(p);
}

static char *plot(const char *const *extra, int want_rc)
{
	const char *args[16] = { "plot", "--db", db, "--out", out };
	int n = 5;
	for (; extra && *extra && n < 14; extra++)
		args[n++] = *extra;
	args[n++] = "figs";
	args[n] = NULL;
	int rc = run_exp(args);
	char *e = exp_stderr();
	if (rc != want_rc)
		fail_msg("plot exit %d (want %d): %s", rc, want_rc, e);
	free(e);
	return exp_stdout();
}

static void test_default_figures_and_what_was_written(void **state)
{
	(void)state;
	char *said = plot(NULL, 0);
	/* One line per figure, naming the PNG. */
	assert_non_null(strstr(said, "/figs/fig4.png"));
	assert_non_null(strstr(said, "/figs/tradeoff.png and .svg (data "
				"tradeoff.dat"));
	free(said);
	char p[PATH_MAX + 128];
	snprintf(p, sizeof(p), "%s/figs/tradeoff.png", out);
	assert_true(is_png(p));
	snprintf(p, sizeof(p), "%s/figs/fig4-hot-512_MiB-10_Gbps.png", out);
	assert_true(is_png(p));
}

static void test_fig4_axis_follows_the_data(void **state)
{
	(void)state;
	char *gp = out_file("fig4-hot-512_MiB-1_Gbps.gp");
	assert_non_null(gp);
	/* Not the paper's fixed [-2:125]: limits reach 5 s here. */
	assert_null(strstr(gp, "[-2:125]"));
	const char *xr = strstr(gp, "set xrange [");
	assert_non_null(xr);
	double lo, hi;
	assert_int_equal(sscanf(xr, "set xrange [%lf:%lf]", &lo, &hi), 2);
	double maxdown = db_value(db, "SELECT max(downtime) FROM runs WHERE "
				  "link_bandwidth = 125000000");
	assert_true(lo < 0.3 && hi >= 5 && hi >= maxdown && hi < 5 * 4);
	/* Every MPLM configuration is labelled (those ending on the same
	 * spot share one label, "dp 50/70"). */
	assert_non_null(strstr(gp, "set label \"dp 30"));
	assert_non_null(strstr(gp, "dp 50"));
	free(gp);
	char *dat = out_file("fig4-hot-512_MiB-1_Gbps.dat");
	assert_non_null(strstr(dat, "downtime_limit dirtypercents intervaltime "
			       "label"));
	/* A row per configuration, with its settings. */
	assert_non_null(strstr(dat, " 0.3 30 1 \"dp 30\""));
	assert_non_null(strstr(dat, " 0.3 70 1 \"dp 70\""));
	free(dat);
}

static void test_tradeoff_has_a_panel_per_link_with_labels(void **state)
{
	(void)state;
	char *gp = out_file("tradeoff.gp");
	assert_non_null(strstr(gp, "set title \"1 Gbps link\""));
	assert_non_null(strstr(gp, "set title \"10 Gbps link\""));
	/* Pre-copy by its limit; MPLM by its dirtypercents (or joined,
	 * where several end on the same spot). */
	assert_non_null(strstr(gp, "set label \"0.3 s\""));
	assert_non_null(strstr(gp, "set label \"5 s\""));
	assert_non_null(strstr(gp, "set label \"dp 30"));
	free(gp);
	char *dat = out_file("tradeoff.dat");
	/* One row per configuration with its parameters: 2 links x 6. */
	int rows = 0;
	for (const char *p = dat; (p = strstr(p, "\n")); p++)
		rows += p[1] && p[1] != '#' && p[1] != '\n' &&
			strncmp(p + 1, "NaN", 3);
	assert_int_equal(rows, 12);
	assert_non_null(strstr(dat, "link_bandwidth vm_bytes downtime_limit "
			       "dirtypercents intervaltime label"));
	free(dat);
}

/* A log axis where the values span decades, linear where they do not. */
static void test_generic_plot_and_log_axes(void **state)
{
	(void)state;
	const char *args[] = { "--x", "dirtypercents", "--y", "downtime",
			       "--by", "workload", "--facet", "bandwidth",
			       NULL };
	char *said = plot(args, 0);
	assert_non_null(strstr(said, "downtime-vs-dirtypercents-by-workload-"
				"facet-bandwidth.png"));
	/* Pre-copy runs have no dirtypercents: left out, and said so. */
	assert_non_null(strstr(said, "left out 6 completed runs that have no "
				"dirtypercents"));
	free(said);
	char *gp = out_file("downtime-vs-dirtypercents-by-workload-facet-"
			    "bandwidth.gp");
	assert_non_null(strstr(gp, "set title \"bandwidth 1 Gbps\""));
	assert_non_null(strstr(gp, "set title \"bandwidth 10 Gbps\""));
	assert_non_null(strstr(gp, "unset logscale x"));
	free(gp);
	const char *all[] = { "--x", "downtime-limit", "--y", "downtime",
			      NULL };
	free(plot(all, 0));
	gp = out_file("downtime-vs-downtime-limit.gp");
	/* Limits 0.3-5 s span less than the log threshold: linear. */
	assert_non_null(strstr(gp, "unset logscale x"));
	free(gp);
	char *dat = out_file("downtime-vs-downtime-limit.dat");
	assert_non_null(strstr(dat, "x_position x mean min max runs panel line"));
	free(dat);
	double lo = db_value(db, "SELECT min(total_time) FROM runs");
	double hi = db_value(db, "SELECT max(total_time) FROM runs");
	const char *bw[] = { "--x", "bandwidth", "--by", "algorithm", NULL };
	free(plot(bw, 0));
	gp = out_file("total-time-vs-bandwidth-by-algorithm.gp");
	bool log = hi / lo > 30;
	assert_true(log == (strstr(gp, "\nset logscale y") != NULL));
	free(gp);
}

static void test_bad_names_are_one_line(void **state)
{
	(void)state;
	const char *bad[] = { "--x", "colour", NULL };
	free(plot(bad, 1));
	char *e = exp_stderr();
	assert_non_null(strstr(e, "--x colour: not a setting"));
	assert_true(one_line(e));
	free(e);
	const char *bad_y[] = { "--x", "workload", "--y", "speed", NULL };
	free(plot(bad_y, 1));
	const char *no_x[] = { "--by", "workload", NULL };
	free(plot(no_x, 2));
}

int main(int argc, char **argv)
{
	(void)argc;
	helpers_init(argv[0]);
	path_in_tmp(ini, sizeof(ini), "figs.ini");
	path_in_tmp(db, sizeof(db), "figs.db");
	path_in_tmp(out, sizeof(out), "out");
	write_file(ini, experiment);
	if (!run_setup(ini, db))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_figures_and_what_was_written),
		cmocka_unit_test(test_fig4_axis_follows_the_data),
		cmocka_unit_test(test_tradeoff_has_a_panel_per_link_with_labels),
		cmocka_unit_test(test_generic_plot_and_log_axes),
		cmocka_unit_test(test_bad_names_are_one_line),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	helpers_cleanup();
	return rc;
}

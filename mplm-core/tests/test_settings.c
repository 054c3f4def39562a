/*
 * test_settings.c - the one table of settings: names, units, ranges and
 * messages, as every front end reads them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mplm.h"
#include "settings_cli.h"

static double parse_ok(const char *name, const char *text)
{
	char err[256] = "";
	double v = -1;
	const struct mplm_setting *s = mplm_setting_find(name);
	assert_non_null(s);
	if (mplm_setting_parse(s, text, &v, err, sizeof(err)) < 0)
		fail_msg("%s %s refused: %s", name, text, err);
	return v;
}

/* The message must name the setting and contain `want`. */
static void parse_refused(const char *name, const char *text, const char *want)
{
	char err[256] = "";
	double v;
	const struct mplm_setting *s = mplm_setting_find(name);
	assert_non_null(s);
	assert_int_equal(mplm_setting_parse(s, text, &v, err, sizeof(err)), -1);
	if (strncmp(err, name, strlen(name)) || !strstr(err, want))
		fail_msg("%s %s: message `%s' lacks `%s'", name, text, err, want);
}

static void test_units_of_bare_numbers(void **state)
{
	(void)state;
	/* QEMU's unit for downtime-limit is ms; qemu-mplm's intervaltime s. */
	assert_true(parse_ok("downtime-limit", "300") == 0.3);
	assert_true(parse_ok("downtime-limit", "300ms") == 0.3);
	assert_true(parse_ok("downtime-limit", "0.3s") == 0.3);
	assert_true(parse_ok("intervaltime", "3") == 3);
	assert_true(parse_ok("intervaltime", "500ms") == 0.5);
	assert_true(parse_ok("max-bandwidth", "125000000") == 125e6);
	assert_true(parse_ok("max-bandwidth", "1Gbps") == 125e6);
	assert_true(parse_ok("max-bandwidth", "125MB/s") == 125e6);
	assert_true(parse_ok("max-bandwidth", "0") == 0); /* no cap */
	assert_true(parse_ok("bandwidth", "10Gbps") == 1.25e9);
	assert_true(parse_ok("memory", "8G") == 8589934592.0);
	assert_true(parse_ok("start-at", "2min") == 120);
	assert_true(parse_ok("dirtypercents", "70") == 70);
	assert_true(parse_ok("relaxlivemig", "on") == 1);
	assert_true(parse_ok("algorithm", "precopy") == MPLM_ALG_PRECOPY);
	assert_true(parse_ok("algorithm", "stopcopy") == MPLM_ALG_STOPCOPY);
}

static void test_refusals_say_what_to_write(void **state)
{
	(void)state;
	parse_refused("max-bandwidth", "1Gb", "ambiguous");
	parse_refused("max-bandwidth", "1G", "ambiguous");
	parse_refused("max-bandwidth", "125M", "Gbps");
	parse_refused("max-bandwidth", "-1", "expected a rate");
	parse_refused("max-bandwidth", "1", "out of range: 0 (none) or 8 Kbps"); /* 1 B/s */
	parse_refused("bandwidth", "0", "expected a rate"); /* a link has a speed */
	parse_refused("intervaltime", "1e-6", "out of range: 0.001 s");
	parse_refused("intervaltime", "1e-300", "out of range");
	parse_refused("dirtypercents", "101", "out of range: 0% to 100%");
	parse_refused("dirtypercents", "50.5", "whole number");
	parse_refused("downtime-limit", "soon", "300ms");
	parse_refused("downtime-limit", "3000s", "out of range");
	parse_refused("memory", "8X", "expected a size");
	parse_refused("algorithm", "postcopy", "precopy|mplm|stopcopy");
	parse_refused("firstnondirty", "maybe", "on or off");
}

static void test_numbers_from_qmp(void **state)
{
	(void)state;
	char err[256];
	double v;
	const struct mplm_setting *dl = mplm_setting_get(MPLM_SET_DOWNTIME_LIMIT);
	const struct mplm_setting *bw = mplm_setting_get(MPLM_SET_MAX_BANDWIDTH);
	assert_int_equal(mplm_setting_from_number(dl, 500, &v, err, sizeof(err)), 0);
	assert_true(v == 0.5);
	assert_true(mplm_setting_to_number(dl, v) == 500);
	assert_int_equal(mplm_setting_from_number(bw, -1, &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "max-bandwidth -1: out of range"));
}

static void test_params_by_name(void **state)
{
	(void)state;
	struct mplm_params p;
	char err[256];
	mplm_params_default(&p);
	assert_int_equal(mplm_params_set(&p, "downtime-limit", "1s", err, sizeof(err)), 0);
	assert_true(p.downtime_limit == 1);
	assert_int_equal(mplm_params_set(&p, "dirtypercents", "30", err, sizeof(err)), 0);
	assert_int_equal(p.dirtypercents, 30);
	/* memory is a setting of the run, not of the migration. */
	assert_int_equal(mplm_params_set(&p, "memory", "8G", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a migration parameter"));
	assert_int_equal(mplm_params_set(&p, "downtime-limt", "1", err, sizeof(err)), -1);
	/* The check uses the same ranges. */
	assert_int_equal(mplm_params_check(&p, err, sizeof(err)), 0);
	p.intervaltime = 1e-6;
	assert_int_equal(mplm_params_check(&p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "intervaltime"));
}

static void test_table_is_whole(void **state)
{
	(void)state;
	size_t n;
	const struct mplm_setting *t = mplm_settings(&n);
	assert_int_equal(n, MPLM_SET_COUNT);
	for (size_t i = 0; i < n; i++) {
		/* Indexed by id, unique names, help for every entry, and each
		 * default inside its own range. */
		assert_int_equal(t[i].id, i);
		assert_ptr_equal(mplm_setting_find(t[i].name), &t[i]);
		assert_true(t[i].help && *t[i].help && t[i].metavar);
		assert_true(t[i].min <= t[i].max && t[i].scale > 0);
	}
	struct mplm_params p;
	mplm_params_default(&p);
	assert_int_equal(mplm_params_check(&p, NULL, 0), 0);

	struct option opts[MPLM_SET_COUNT + 1] = { 0 };
	assert_int_equal(settings_cli_options(opts, 1u << MPLM_SET_BANDWIDTH),
			 MPLM_SET_COUNT - 1);
	char help[4096];
	size_t len = settings_cli_help(help, sizeof(help), 0, &p, NULL);
	assert_true(len < sizeof(help));
	assert_non_null(strstr(help, "--downtime-limit MS"));
	assert_non_null(strstr(help, "(default 300 ms)"));
	assert_non_null(strstr(help, "(default 1 Gbps)"));
}

static void test_profile(void **state)
{
	(void)state;
	double v[MPLM_SET_COUNT];
	bool given[MPLM_SET_COUNT] = { false };
	char err[256];
	const char *good =
		"# a machine profile\n"
		"sync-fixed = 26.4 us\n"
		"sync-per-page=43ns\r\n"
		"\n"
		"header-bytes = 20\n"
		"zero-page-cost = 0.23 us\n"
		"bandwidth = 614MB/s\n";
	assert_int_equal(mplm_profile_parse(good, v, given, err, sizeof(err)), 0);
	assert_true(given[MPLM_SET_SYNC_FIXED] && given[MPLM_SET_SYNC_PER_PAGE]);
	assert_true(v[MPLM_SET_SYNC_FIXED] > 26.39e-6 && v[MPLM_SET_SYNC_FIXED] < 26.41e-6);
	assert_true(v[MPLM_SET_SYNC_PER_PAGE] > 42.9e-9 && v[MPLM_SET_SYNC_PER_PAGE] < 43.1e-9);
	assert_true(v[MPLM_SET_HEADER_BYTES] == 20);
	assert_true(v[MPLM_SET_BANDWIDTH] == 614e6);
	assert_false(given[MPLM_SET_STATE_BYTES]);

	/* A migration parameter is not the machine's; errors say the line. */
	assert_int_equal(mplm_profile_parse("header-bytes = 8\ndowntime-limit = 300\n",
					    v, given, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2: downtime-limit is not a machine setting"));
	/* The list is the table's machine settings, every one of them. */
	size_t nset;
	const struct mplm_setting *all = mplm_settings(&nset);
	for (size_t i = 0; i < nset; i++)
		if (all[i].machine)
			assert_non_null(strstr(err, all[i].name));
	assert_non_null(strstr(err, "(bandwidth, header-bytes, "));
	assert_non_null(strstr(err, ", rtt)"));
	assert_int_equal(mplm_profile_parse("sync-fixed = soon\n", v, given, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 1: sync-fixed soon: expected a duration"));
	assert_int_equal(mplm_profile_parse("sync-fixed 10\n", v, given, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 1: expected name = value"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_of_bare_numbers),
		cmocka_unit_test(test_refusals_say_what_to_write),
		cmocka_unit_test(test_numbers_from_qmp),
		cmocka_unit_test(test_params_by_name),
		cmocka_unit_test(test_table_is_whole),
		cmocka_unit_test(test_profile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

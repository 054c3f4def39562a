/*
 * test_api.c - mplm-lab-web's API without HTTP: parameters are checked one
 * by one with one line naming the culprit, requests above the limits are
 * refused, a run's JSON agrees with sim_run and mplm-sim's query-migrate
 * object, and only the compiled-in files are found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api.h"
#include "static.h"

/* A request from "name=value" pairs, finished; -1 with err on failure. */
static int build(struct web_request *rq, const char *const *kv, char *err, size_t errlen)
{
	struct web_limits lim;
	web_limits_default(&lim);
	web_request_init(rq);
	for (; kv && *kv; kv += 2)
		if (web_request_set(rq, kv[0], kv[1], err, errlen) < 0)
			return -1;
	return web_request_finish(rq, &lim, err, errlen);
}

/* The error a request gets: it must fail, on one line. */
static void expect_refused(const char *const *kv, const char *want)
{
	struct web_request rq;
	char err[256] = "";
	if (build(&rq, kv, err, sizeof(err)) == 0)
		fail_msg("accepted, wanted an error with '%s'", want);
	if (!strstr(err, want))
		fail_msg("error '%s' does not say '%s'", err, want);
	assert_null(strchr(err, '\n'));
}

static void test_bad_values_name_the_parameter(void **state)
{
	(void)state;
	/* Settings of mplm-core's table answer in its words; the page's own
	 * parameters as NAME=VALUE. */
	static const char *const cases[][3] = {
		{ "algorithm", "postcopy", "algorithm postcopy: expected precopy|mplm|stopcopy" },
		{ "downtime-limit", "-5", "downtime-limit -5: expected a duration" },
		{ "downtime-limit", "fast", "downtime-limit fast: expected a duration" },
		{ "max-bandwidth", "1G", "max-bandwidth 1G: ambiguous rate" },
		{ "max-bandwidth", "lots", "max-bandwidth lots: expected a rate" },
		{ "intervaltime", "0", "intervaltime 0: out of range" },
		{ "dirtypercents", "101", "dirtypercents 101: out of range: 0% to 100%" },
		{ "firstnondirty", "maybe", "firstnondirty maybe: expected on or off" },
		{ "max-iterations", "-1", "max-iterations -1: expected a whole number" },
		{ "memory", "../../etc", "memory ../../etc: expected a size" },
		{ "pattern", "random", "pattern=random: expected uniform, sequential, hotspot or stencil" },
		{ "rate", "abc", "rate=abc: expected a number" },
		{ "wss", "1M,rate=1e9", "wss=1M,rate=1e9: expected a number" },
		{ "simple", "2", "simple=2: expected on or off" },
		{ "colour", "red", "colour: unknown parameter" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *kv[] = { cases[i][0], cases[i][1], NULL };
		expect_refused(kv, cases[i][2]);
	}
}

static void test_repeats_and_workload_checks(void **state)
{
	(void)state;
	expect_refused((const char *const[]){ "rate", "10", "rate", "20", NULL }, "rate: given twice");
	expect_refused((const char *const[]){ "wss", "2M", NULL }, "wss is larger than the memory");
	expect_refused((const char *const[]){ "start-at", "100", NULL }, "start-at: 100 s is after the workload's end");
}

static void test_limits(void **state)
{
	(void)state;
	expect_refused((const char *const[]){ "memory", "1G", NULL },
		       "memory: 262144 pages, above this server's limit of 65536");
	expect_refused((const char *const[]){ "max-total-time", "3600", NULL },
		       "max-total-time: must be above 0 and at most this server's 600 s");
	expect_refused((const char *const[]){ "memory", "256M", "rate", "1e6", "duration", "600", NULL },
		       "page writes in the run, above this server's limit");

	/* Without max-total-time, the server's cap is the run's. */
	struct web_request rq;
	char err[256];
	assert_int_equal(build(&rq, NULL, err, sizeof(err)), 0);
	assert_true(rq.cfg.params.max_total_time == 600);
}

static json_t *run_json(const char *const *kv)
{
	struct web_request rq;
	struct web_limits lim;
	char err[256];
	web_limits_default(&lim);
	if (build(&rq, kv, err, sizeof(err)) < 0)
		fail_msg("refused: %s", err);
	char *text = web_run_json(&rq, &lim, err, sizeof(err));
	if (!text)
		fail_msg("run failed: %s", err);
	json_t *o = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(o);
	return o;
}

/* The answer is the run sim_run makes for the same configuration, and its
 * query-migrate object is mplm-core's. */
static void test_run_agrees_with_sim(void **state)
{
	(void)state;
	const char *const kv[] = { "algorithm", "precopy", "rate", "10", "duration", "30", NULL };
	json_t *o = run_json(kv);

	struct sim_config c;
	struct sim_result r;
	sim_config_default(&c);
	c.workload_spec = "uniform,memory=1M,rate=10,duration=30,seed=1";
	c.params.algorithm = MPLM_ALG_PRECOPY;
	c.params.max_bandwidth = c.link_bandwidth = 524288;
	c.params.intervaltime = 1;
	c.params.max_total_time = 600;
	c.params.mplm_variant = MPLM_VARIANT_PAPER;
	c.params.relaxlivemig = false;
	c.params.threshold_bandwidth = MPLM_THRESHOLD_MAX_BANDWIDTH;
	c.header_bytes = 0;
	c.state_bytes = 0;
	c.sync_fixed = c.sync_per_page = 0;
	c.replay = SIM_REPLAY_INTERVAL; /* the textbook mode's, as --simple */
	assert_int_equal(sim_run(&c, &r), 0);

	json_t *frames = json_object_get(o, "frames");
	assert_int_equal(json_array_size(frames), r.nsyncs);
	json_t *qm = json_object_get(json_object_get(o, "reports"), "query_migrate");
	char *want = mplm_query_migrate_json(&r.stats, &c.params, r.syncs, r.nsyncs);
	json_t *w = json_loads(want, 0, NULL);
	assert_true(json_equal(qm, w));
	/* The exercise 1 numbers of docs/teaching.md: 297 ms downtime. */
	assert_int_equal(json_integer_value(json_object_get(qm, "downtime")), 297);
	/* Every frame's cells account for every page. */
	for (size_t i = 0; i < json_array_size(frames); i++) {
		json_t *f = json_array_get(frames, i);
		assert_int_equal(strlen(json_string_value(json_object_get(f, "cells"))), 256);
		json_int_t sum = 0;
		json_t *counts = json_object_get(f, "counts");
		for (size_t k = 0; k < json_array_size(counts); k++)
			sum += json_integer_value(json_array_get(counts, k));
		assert_int_equal(sum, 256);
		assert_non_null(strstr(json_string_value(json_object_get(f, "narration")), "Sync "));
	}
	const char *info = json_string_value(json_object_get(json_object_get(o, "reports"), "info_migrate"));
	assert_non_null(strstr(info, "downtime: 297 milliseconds"));
	json_decref(w);
	free(want);
	sim_result_free(&r);
	json_decref(o);
}

/* A run that makes more syncs than the server shows is refused whole. */
static void test_too_many_syncs(void **state)
{
	(void)state;
	struct web_request rq;
	struct web_limits lim;
	char err[256];
	web_limits_default(&lim);
	lim.max_syncs = 5;
	web_request_init(&rq);
	assert_int_equal(web_request_set(&rq, "algorithm", "precopy", err, sizeof(err)), 0);
	assert_int_equal(web_request_set(&rq, "rate", "300", err, sizeof(err)), 0);
	assert_int_equal(web_request_finish(&rq, &lim, err, sizeof(err)), 0);
	assert_null(web_run_json(&rq, &lim, err, sizeof(err)));
	assert_non_null(strstr(err, "more than 5 dirty log syncs, this server's limit"));
}

/* MPLM syncing every millisecond for the 128 s its 64 MiB take at
 * 512 KiB/s would keep 128,000 maps: the run is stopped at the cap. */
static void test_sync_cap_stops_the_run(void **state)
{
	(void)state;
	struct web_request rq;
	struct web_limits lim;
	char err[256];
	const char *const kv[] = { "memory", "64M", "intervaltime", "0.001", "rate", "10", NULL };
	web_limits_default(&lim);
	assert_int_equal(build(&rq, kv, err, sizeof(err)), 0);
	assert_null(web_run_json(&rq, &lim, err, sizeof(err)));
	assert_non_null(strstr(err, "more than 1000 dirty log syncs"));
}

static void test_only_own_files(void **state)
{
	(void)state;
	assert_non_null(web_file_find("/"));
	assert_string_equal(web_file_find("/")->path, "/index.html");
	assert_non_null(web_file_find("/app.js"));
	assert_non_null(web_file_find("/app.css"));
	static const char *const refused[] = {
		"/../Makefile", "/..", "//etc/passwd", "/static/app.js", "/app.js/",
		"/%2e%2e/Makefile", "/web/static/index.html", "index.html", "", "/app.js/../app.css",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (web_file_find(refused[i]))
			fail_msg("'%s' was found", refused[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_values_name_the_parameter),
		cmocka_unit_test(test_repeats_and_workload_checks),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_run_agrees_with_sim),
		cmocka_unit_test(test_too_many_syncs),
		cmocka_unit_test(test_sync_cap_stops_the_run),
		cmocka_unit_test(test_only_own_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

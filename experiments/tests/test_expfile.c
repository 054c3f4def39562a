/*
 * test_expfile.c - experiment files: parsing, the cross product,
 * run keys, and "FILE:LINE: what is wrong" for malformed files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "expfile.h"
#include "helpers.h"
#include "mplm-config.h" /* MPLM_HAVE_KVMLITE */

static const char good[] =
	"; a comment\n"
	"[experiment]\n"
	"name = t1\n"
	"repetitions = 3\n"
	"seed = 5\n"
	"memory = 256M, 512M\n"
	"bandwidth = 1Gbps\n"
	"\n"
	"[preset small]\n"
	"generator = uniform,memory=64M,rate=1000,duration=5,seed=99\n"
	"start-at = 1\n"
	"\n"
	"[workload a]\n"
	"preset = small\n"
	"\n"
	"[workload b]\n"
	"generator = stencil,memory=64M,rate=1000,duration=5\n"
	"\n"
	"[algorithm precopy]\n"
	"downtime-limit = 300ms 1s\n"
	"  5s\n"
	"\n"
	"[algorithm mplm]\n"
	"\n"
	"[algorithm mplm-sweep]\n"
	"algorithm = mplm\n"
	"dirtypercents = 30 70\n"
	"intervaltime = 1, 3\n"
	"mplm-variant = paper\n"
	"threshold-bandwidth = max-bandwidth\n"
	"\n"
	"[reference a]\n"
	"mplm.total = 10\n"
	"precopy.downtime@0.3s = ~0.3\n"
	"dirty-rate = 1000\n";

static struct experiment *load_text(const char *name, const char *text,
				    char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	path_in_tmp(path, sizeof(path), name);
	write_file(path, text);
	return exp_load(path, err, errlen);
}

/* profile = FILE: the machine settings of a kvmlite calibrate profile
 * (relative to the experiment file); the file's own keys win, and the
 * profile's link is the default bandwidth. */
static void test_profile(void **state)
{
	(void)state;
	char err[1024] = "", prof[PATH_MAX + 64];
	path_in_tmp(prof, sizeof(prof), "host.prof");
	write_file(prof, "sync-fixed = 26 us\nheader-bytes = 20\n"
			 "zero-page-cost = 0.25us\nbandwidth = 600MB/s\n");
	struct experiment *e = load_text("prof.ini",
		"[experiment]\nname = p\nprofile = host.prof\nheader-bytes = 8\n"
		"[workload u]\ngenerator = uniform,memory=16M,rate=1k,duration=5\n"
		"[algorithm mplm]\n", err, sizeof(err));
	if (!e)
		fail_msg("%s", err);
	struct exp_runs runs;
	assert_int_equal(exp_expand(e, &runs, err, sizeof(err)), 0);
	const struct sim_config *c = &runs.v[0].cfg;
	assert_true(c->sync_fixed > 25.9e-6 && c->sync_fixed < 26.1e-6);
	assert_true(c->zero_page_cost > 0.249e-6 && c->zero_page_cost < 0.251e-6);
	assert_int_equal(c->header_bytes, 8);
	assert_true(c->link_bandwidth == 600e6);
	exp_runs_free(&runs);
	exp_free(e);
}

/* replay = spread|interval (mplm-core's table): into every run's
 * configuration and key; spread when not given. */
static void test_replay(void **state)
{
	(void)state;
	static const char *const given[] = { "", "replay = interval\n", "replay = spread\n" };
	static const enum sim_replay want[] = { SIM_REPLAY_SPREAD, SIM_REPLAY_INTERVAL,
						SIM_REPLAY_SPREAD };
	for (size_t i = 0; i < 3; i++) {
		char err[1024] = "", text[512];
		snprintf(text, sizeof(text),
			 "[experiment]\nname = r\n%s"
			 "[workload u]\ngenerator = uniform,memory=16M,rate=1k,duration=5\n"
			 "[algorithm precopy]\n", given[i]);
		struct experiment *e = load_text("replay.ini", text, err, sizeof(err));
		if (!e)
			fail_msg("%s", err);
		struct exp_runs runs;
		assert_int_equal(exp_expand(e, &runs, err, sizeof(err)), 0);
		assert_int_equal(runs.v[0].cfg.replay, want[i]);
		assert_non_null(strstr(runs.v[0].key, want[i] == SIM_REPLAY_SPREAD
							 ? ";replay=spread;"
							 : ";replay=interval;"));
		exp_runs_free(&runs);
		exp_free(e);
	}
}

/* A real guest's writes land when they happen: `replay` does not reach a
 * kvm run's key, so editing it does not run the real migrations again. */
static void test_replay_not_in_kvm_keys(void **state)
{
	(void)state;
	char *keys[2];
	for (size_t i = 0; i < 2; i++) {
		char err[1024] = "", text[512];
		snprintf(text, sizeof(text),
			 "[experiment]\nname = k\nbackend = kvm\n%s"
			 "[workload u]\ngenerator = uniform,memory=16M,rate=1k,duration=5\n"
			 "[algorithm precopy]\n", i ? "replay = interval\n" : "");
		struct experiment *e = load_text("kvm-replay.ini", text, err, sizeof(err));
		if (!e)
			fail_msg("%s", err);
		struct exp_runs runs;
		assert_int_equal(exp_expand(e, &runs, err, sizeof(err)), 0);
		assert_null(strstr(runs.v[0].key, ";replay="));
		keys[i] = strdup(runs.v[0].key);
		exp_runs_free(&runs);
		exp_free(e);
	}
	assert_string_equal(keys[0], keys[1]);
	free(keys[0]);
	free(keys[1]);
}

/* Post-copy from an experiment file: the algorithm's keys and the
 * machine's round trip reach the run; only post-copy runs' keys name
 * them. */
static void test_postcopy_keys(void **state)
{
	(void)state;
	char err[1024] = "";
	struct experiment *e = load_text("pc.ini",
		"[experiment]\nname = pc\nrtt = 150us\n"
		"[workload u]\ngenerator = uniform,memory=16M,rate=1k,duration=5\n"
		"[algorithm precopy]\n"
		"[algorithm after-one]\nalgorithm = precopy\npostcopy-ram = on\n"
		"postcopy-after-passes = 1\n"
		"[algorithm command]\nalgorithm = precopy\npostcopy-ram = on\n"
		"start-postcopy-at = 2s\n", err, sizeof(err));
	if (!e)
		fail_msg("%s", err);
	struct exp_runs runs;
	assert_int_equal(exp_expand(e, &runs, err, sizeof(err)), 0);
	assert_int_equal(runs.n, 3);
	const struct sim_config *plain = &runs.v[0].cfg, *one = &runs.v[1].cfg,
				*cmd = &runs.v[2].cfg;
	assert_false(plain->params.postcopy_ram);
	assert_null(strstr(runs.v[0].key, ";pc="));
	assert_true(one->params.postcopy_ram);
	assert_int_equal(one->params.postcopy_after_passes, 1);
	assert_true(one->rtt > 149e-6 && one->rtt < 151e-6);
	assert_non_null(strstr(runs.v[1].key, ";pc=1/"));
	assert_true(cmd->start_postcopy_at == 2);
	assert_int_equal(cmd->params.postcopy_after_passes, 0);
	exp_runs_free(&runs);
	exp_free(e);
}

static void test_parse_and_expand(void **state)
{
	(void)state;
	char err[1024] = "";
	struct experiment *e = load_text("good.ini", good, err, sizeof(err));
	if (!e)
		fail_msg("%s", err);
	assert_string_equal(e->name, "t1");
	assert_int_equal(e->nworkloads, 2);
	/* [algorithm mplm] has no keys and still counts. */
	assert_int_equal(e->nalgorithms, 3);
	assert_int_equal(e->algorithms[0].downtime_limit.n, 3);
	/* Stored in seconds, whatever the unit written. */
	assert_true(e->algorithms[0].downtime_limit.v[0] == 0.3);
	assert_true(e->algorithms[0].downtime_limit.v[2] == 5);
	assert_int_equal(e->nreferences, 3);
	assert_true(e->references[1].approx);

	struct exp_runs runs;
	assert_int_equal(exp_expand(e, &runs, err, sizeof(err)), 0);
	/* 3 reps x 2 workloads x 2 VMs x (3 + 1 + 4) algorithm points */
	assert_int_equal(runs.n, 3 * 2 * 2 * 8);
	/* Keys are unique; a point's runs share a point hash. */
	for (size_t i = 0; i < runs.n; i++)
		for (size_t j = i + 1; j < runs.n; j++)
			assert_true(strcmp(runs.v[i].hash, runs.v[j].hash) ||
				    runs.v[i].repetition != runs.v[j].repetition);
	size_t per_rep = runs.n / 3;
	for (size_t i = 0; i < per_rep; i++) {
		assert_string_equal(runs.v[i].point_hash,
				    runs.v[i + per_rep].point_hash);
		assert_int_equal(runs.v[i].point_index, i);
	}
	/* The repetition's seed replaces the spec's (uniform draws numbers);
	 * stencil's spec is left alone. */
	assert_non_null(strstr(runs.v[0].spec, ",seed=5"));
	assert_null(strstr(runs.v[0].spec, "seed=99"));
	assert_non_null(strstr(runs.v[per_rep].spec, ",seed=6"));
	const struct exp_run *b = NULL;
	for (size_t i = 0; i < runs.n && !b; i++)
		if (!strcmp(runs.v[i].workload->name, "b"))
			b = &runs.v[i];
	assert_non_null(b);
	assert_null(strstr(b->spec, "seed="));
	/* Preset values arrive. */
	assert_true(runs.v[0].cfg.start_at == 1);
	/* Variant and threshold source: the defaults, or as the section says. */
	for (size_t i = 0; i < runs.n; i++) {
		const struct mplm_params *p = &runs.v[i].cfg.params;
		bool sweep = !strcmp(runs.v[i].alg->name, "mplm-sweep");
		assert_int_equal(p->mplm_variant, sweep ? MPLM_VARIANT_PAPER
							: MPLM_VARIANT_QEMU_MPLM);
		assert_int_equal(p->threshold_bandwidth,
				 sweep ? MPLM_THRESHOLD_MAX_BANDWIDTH
				       : MPLM_THRESHOLD_MEASURED);
	}
	exp_runs_free(&runs);
	exp_free(e);
}

struct bad_case {
	const char *text;
	const char *expect; /* after "FILE:" */
};

static const struct bad_case bad_cases[] = {
	{ "[experiment]\nname = x\nreplay = sometimes\n",
	  ":3: replay sometimes: expected spread|interval" },
	{ "[experiment]\nname = x\ncolour = blue\n",
	  ":3: unknown key `colour' in [experiment]" },
	{ "[experiment]\nname = x\nrepetitions = ten\n",
	  ":3: repetitions: `ten' is not a count 1..100000" },
	{ "[experiment]\nname = x\nthis line has no equals sign\n",
	  ":3: syntax error" },
	{ "[experiment]\nname = x\n[workload w\ngenerator = u\n",
	  ":3: syntax error" },
	{ "[experiment]\nname = x\n[gadget g]\nsize = 1\n",
	  ":4: unknown section [gadget g]" },
	{ "[experiment]\nname = x\n\n[algorithm p]\nalgorithm = precopy\n"
	  "downtime-limit = 0.3s, fast, 5s\n",
	  ":6: downtime-limit fast: expected a duration such as 300, 300ms or 0.3s" },
	{ "[experiment]\nname = x\nname = y\n", ":3: duplicate key `name'" },
	{ "[experiment]\nname = x\nmemory = 8X\n",
	  ":3: memory 8X: expected a size such as 8G, 512M or 4096" },
	{ "[experiment]\nname = x\nprofile = no-such.prof\n",
	  ":3: profile: " },
	{ "[experiment]\nname = x\nsync-fixed = soon\n",
	  ":3: sync-fixed soon: expected a duration" },
	{ "[experiment]\nname = x\nvm-memory = 8G\n",
	  ":3: vm-memory is now called memory" },
	{ "[experiment]\nname = x\n[algorithm p]\nalgorithm = precopy\n"
	  "max-bandwidth = 1Gb\n",
	  ":5: max-bandwidth 1Gb: ambiguous rate: write bits as Gbps" },
	{ "[experiment]\nname = x\n[algorithm p]\nalgorithm = precopy\n"
	  "dirtypercents = 50\n",
	  ":3: [algorithm p]: intervaltime, dirtypercents" },
	{ "[experiment]\nname = x\n[algorithm m]\nalgorithm = mplm\n"
	  "dirtypercents = 150\n", ":5: dirtypercents 150: out of range: 0% to 100%" },
	{ "[experiment]\nname = x\n[workload w]\nat-end = sometimes\n",
	  ":4: at-end: `sometimes' is not idle or loop" },
	{ "[experiment]\nname = x\n[workload w]\nstart-at = 1\n"
	  "[algorithm mplm]\n",
	  ":4: workload w: give exactly one of" },
	{ "[experiment]\nname = x\n[workload w]\ngenerator = uniform\n"
	  "[algorithm mplm]\n[reference v]\nmplm.total = 1\n",
	  ":7: [reference v]: no [workload v]" },
	{ "[experiment]\nname = x\n[workload w]\ngenerator = uniform\n"
	  "[algorithm mplm]\n[reference w]\nmplm.speed = 1\n",
	  ":7: reference key `mplm.speed': metric must be total or downtime" },
	{ "[experiment]\nname = bad name\n", ":2: name: `bad name' may only" },
	{ "[experiment]\nname = x\n[algorithm m]\nmplm-variant = code\n",
	  ":4: mplm-variant code: expected qemu-mplm|paper" },
	{ "[experiment]\nname = x\n[algorithm m]\nthreshold-bandwidth = link\n",
	  ":4: threshold-bandwidth link: expected measured|max-bandwidth" },
	{ "[experiment]\nname = x\ninclude = no-such-file.ini\n",
	  ":3: include " },
	{ "[experiment]\nname = x\n[algorithm m]\nalgorithm = mplm\n"
	  "postcopy-ram = on\n",
	  ":3: [algorithm m]: postcopy-after-passes and start-postcopy-at need postcopy-ram = on, which applies to precopy only" },
	{ "[experiment]\nname = x\n[algorithm p]\nalgorithm = precopy\n"
	  "postcopy-after-passes = 1\n",
	  ":3: [algorithm p]: postcopy-after-passes and start-postcopy-at need" },
	{ "[experiment]\nname = x\nrtt = far\n",
	  ":3: rtt far: expected a duration" },
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(*bad_cases); i++) {
		char err[1024] = "", name[32], path[PATH_MAX + 64];
		snprintf(name, sizeof(name), "bad%zu.ini", i);
		path_in_tmp(path, sizeof(path), name);
		struct experiment *e = load_text(name, bad_cases[i].text, err,
						 sizeof(err));
		if (e)
			fail_msg("case %zu parsed: %s", i, bad_cases[i].text);
		/* "FILE:LINE: what" with FILE the path given. */
		if (strncmp(err, path, strlen(path)) ||
		    !strstr(err, bad_cases[i].expect))
			fail_msg("case %zu: got `%s', want `%s%s...'", i, err,
				 path, bad_cases[i].expect);
	}
}

static void test_long_line(void **state)
{
	(void)state;
	char text[600], err[1024] = "", path[PATH_MAX + 64];
	snprintf(text, sizeof(text), "[experiment]\nname = x\ndescription = "
		 "%0300d\nrepetitions = 2\n", 7);
	path_in_tmp(path, sizeof(path), "long.ini");
	struct experiment *e = load_text("long.ini", text, err, sizeof(err));
	assert_null(e);
	assert_non_null(strstr(err, ":3: line longer than"));
}

/* A NUL byte would end the value early (`name = ab\0cd` read as `ab`):
 * the line is refused, at its line. */
static void test_nul_in_value(void **state)
{
	(void)state;
	static const char text[] = "[experiment]\nname = ab\0cd\n"
				   "repetitions = 2\n";
	char path[PATH_MAX + 64], err[1024] = "";
	path_in_tmp(path, sizeof(path), "nul.ini");
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	assert_int_equal(fclose(f), 0);
	struct experiment *e = exp_load(path, err, sizeof(err));
	assert_null(e);
	char want[PATH_MAX + 100];
	snprintf(want, sizeof(want), "%s:2: a NUL byte", path);
	if (strncmp(err, want, strlen(want)))
		fail_msg("got `%s'", err);
}

static void test_include_error_names_included_file(void **state)
{
	(void)state;
	char inc[PATH_MAX + 64], err[1024] = "";
	path_in_tmp(inc, sizeof(inc), "inc.ini");
	write_file(inc, "[preset p]\ngenerator = uniform\nwobble = 3\n");
	struct experiment *e = load_text("top.ini", "[experiment]\nname = x\n"
					 "include = inc.ini\n", err, sizeof(err));
	assert_null(e);
	char want[PATH_MAX + 200];
	snprintf(want, sizeof(want), "%s:3: unknown key `wobble'", inc);
	if (strncmp(err, want, strlen(want)))
		fail_msg("got `%s'", err);
}

/* backend = kvm expands generator workloads; a trace cannot drive a real
 * guest and is refused at its line. */
static void test_kvm_backend_needs_generators(void **state)
{
	(void)state;
	char err[1024] = "";
#if !MPLM_HAVE_KVMLITE
	/* Built without kvmlite: backend = kvm is refused at its line. */
	assert_null(load_text("kvm.ini", "[experiment]\nname = k\nbackend = kvm\n",
			      err, sizeof(err)));
	assert_non_null(strstr(err, "kvm.ini:3: backend kvm: this mplm-exp was "
			       "built without kvmlite"));
	return;
#endif
	struct experiment *e = load_text(
		"kvm.ini", "[experiment]\nname = k\nbackend = kvm\n"
		"[workload w]\ngenerator = uniform,memory=16M,rate=10\n"
		"[algorithm mplm]\n", err, sizeof(err));
	if (!e)
		fail_msg("%s", err);
	struct exp_runs runs;
	assert_int_equal(exp_expand(e, &runs, err, sizeof(err)), 0);
	assert_int_equal(runs.n, 1);
	exp_runs_free(&runs);
	exp_free(e);

	char text[PATH_MAX + 200];
	snprintf(text, sizeof(text), "[experiment]\nname = k\nbackend = kvm\n"
		 "[workload w]\ntrace = %s/npb-is.B.trace.gz\n"
		 "[algorithm mplm]\n", npb_dir);
	e = load_text("kvm.ini", text, err, sizeof(err));
	if (!e)
		fail_msg("%s", err);
	assert_int_equal(exp_expand(e, &runs, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "kvm.ini:5: workload w: backend kvm"));
	exp_free(e);
}

/* exp_check_traces reads every trace to its end: a bad line past what
 * any run would reach is reported, "EXPFILE:LINE: workload NAME:
 * TRACE:LINE: what"; a good trace passes. */
static void test_check_traces_reads_to_the_end(void **state)
{
	(void)state;
	char err[1024] = "", want[PATH_MAX + 64];
	write_trace_with_tail("whole-good.trace", "e 6000000\n");
	write_trace_with_tail("whole-bad.trace", "p 3\n");
	struct experiment *e = load_text(
		"whole.ini", "[experiment]\nname = whole\n"
		"[workload good]\ntrace = whole-good.trace\n"
		"[workload bad]\ntrace = whole-bad.trace\n"
		"[algorithm mplm]\n", err, sizeof(err));
	if (!e)
		fail_msg("%s", err);
	/* Measuring reads headers only and does not see it. */
	assert_int_equal(exp_measure_workloads(e, err, sizeof(err)), 0);
	assert_int_equal(exp_check_traces(e, err, sizeof(err)), -1);
	path_in_tmp(want, sizeof(want), "whole-bad.trace:55: p line after a d line");
	if (!strstr(err, "whole.ini:6: workload bad: ") || !strstr(err, want))
		fail_msg("got '%s'", err);
	exp_free(e);
}

/* A bad command line: exit 2 and one line saying what is wrong. */
static void test_cli_bad_command_line(void **state)
{
	(void)state;
	const char *bad[][3] = { { "frob", NULL }, { "run", NULL },
				 { "run", "-j", "0" } };
	const char *want[] = { "unknown command 'frob'", "no experiment file",
			       "-j wants a number" };
	for (size_t i = 0; i < 3; i++) {
		const char *args[4] = { bad[i][0], bad[i][1], bad[i][2], NULL };
		assert_int_equal(run_exp(args), 2);
		char *e = exp_stderr();
		size_t lines = 0;
		for (const char *p = e; *p; p++)
			lines += *p == '\n';
		bool ok = lines == 1 && strstr(e, want[i]);
		if (!ok)
			printf("stderr: %s\n", e);
		free(e);
		assert_true(ok);
	}
}

/* The binary reports FILE:LINE on stderr and fails. */
static void test_cli_reports_file_line(void **state)
{
	(void)state;
	char path[PATH_MAX + 64], db[PATH_MAX + 64];
	path_in_tmp(path, sizeof(path), "cli-bad.ini");
	path_in_tmp(db, sizeof(db), "cli.db");
	write_file(path, "[experiment]\nname = x\n\n[workload w]\n"
		   "generator = uniform,memory=16M,rate=10\n"
		   "start-at = yesterday\n");
	const char *args[] = { "run", "--db", db, path, NULL };
	assert_int_equal(run_exp(args), 1);
	char *err = exp_stderr(), want[PATH_MAX + 200];
	snprintf(want, sizeof(want), "%s:6: start-at yesterday: expected a "
		 "duration", path);
	if (!strstr(err, want))
		fail_msg("stderr: %s", err);
	free(err);
}

int main(int argc, char **argv)
{
	(void)argc;
	helpers_init(argv[0]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_expand),
		cmocka_unit_test(test_postcopy_keys),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_not_in_kvm_keys),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nul_in_value),
		cmocka_unit_test(test_include_error_names_included_file),
		cmocka_unit_test(test_kvm_backend_needs_generators),
		cmocka_unit_test(test_check_traces_reads_to_the_end),
		cmocka_unit_test(test_cli_reports_file_line),
		cmocka_unit_test(test_cli_bad_command_line),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	helpers_cleanup();
	return rc;
}

/*
 * test_calibrate.c - `kvmlite calibrate` measures this host into a machine
 * profile that mplm-sim reads back through the same settings table.
 */
#include "kltest.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_calibrate_writes_a_profile(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	char path[64], cmd[8400], text[16384], err[256];
	double v[MPLM_SET_COUNT];
	bool given[MPLM_SET_COUNT];

	snprintf(path, sizeof(path), "/tmp/kltest-profile-%d", (int)getpid());
	FILE *f = fopen(path, "w"); /* an old profile: replaced */
	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s calibrate --memory 64M --output %s 2>/dev/null",
		 kltest_kvmlite(), path);
	assert_int_equal(system(cmd), 0);
	/* Written beside it and renamed over: nothing else left. */
	char pattern[80];
	glob_t g;
	snprintf(pattern, sizeof(pattern), "%s.*", path);
	assert_int_equal(glob(pattern, 0, NULL, &g), GLOB_NOMATCH);
	f = fopen(path, "r");
	assert_non_null(f);
	text[fread(text, 1, sizeof(text) - 1, f)] = 0;
	fclose(f);
	for (int i = 0; i < MPLM_SET_COUNT; i++)
		given[i] = false;
	if (mplm_profile_parse(text, v, given, err, sizeof(err)) < 0)
		fail_msg("%s\n%s", err, text);
	/* Every machine setting, with what this stream really puts on the
	 * wire and measured costs in a sane range. */
	static const enum mplm_setting_id want[] = {
		MPLM_SET_SYNC_FIXED, MPLM_SET_SYNC_PER_PAGE, MPLM_SET_HEADER_BYTES,
		MPLM_SET_ZERO_PAGE_BYTES, MPLM_SET_ZERO_PAGE_COST,
		MPLM_SET_STATE_BYTES, MPLM_SET_BANDWIDTH,
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!given[want[i]])
			fail_msg("no %s in:\n%s", mplm_setting_get(want[i])->name, text);
	assert_true(v[MPLM_SET_HEADER_BYTES] == 20 && v[MPLM_SET_ZERO_PAGE_BYTES] == 20);
	assert_true(v[MPLM_SET_ZERO_PAGE_COST] > 0 && v[MPLM_SET_ZERO_PAGE_COST] < 1e-4);
	assert_true(v[MPLM_SET_STATE_BYTES] > 0);
	assert_true(v[MPLM_SET_BANDWIDTH] > 10e6);
	assert_true(v[MPLM_SET_SYNC_FIXED] < 0.01 && v[MPLM_SET_SYNC_PER_PAGE] < 1e-5);

	/* mplm-sim takes it. */
	snprintf(cmd, sizeof(cmd),
		 "%s/mplm-sim --profile %s --workload uniform,memory=64M,wss=16M,rate=5k,duration=5 "
		 ">/dev/null 2>&1", kltest_build_dir(), path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
}

/* A path that cannot be written fails at once, before any measurement,
 * with one line naming it. */
static void test_bad_output_fails_first(void **state)
{
	(void)state;
	char cmd[8400], line[512] = "";
	snprintf(cmd, sizeof(cmd), "%s calibrate --output /nonexistent/dir/x.prof 2>&1",
		 kltest_kvmlite());
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	char rest[64];
	assert_null(fgets(rest, sizeof(rest), p)); /* one line */
	int st = pclose(p);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	assert_non_null(strstr(line, "--output /nonexistent/dir/x.prof"));
}

/* A calibration that does not finish (here: killed during its first
 * measurements) leaves the old profile as it was. */
static void test_old_profile_survives_an_interrupted_run(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	char dir[] = "/tmp/kltest-cal-XXXXXX", path[64], cmd[8400], text[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/host.prof", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("bandwidth = 1\n", f);
	fclose(f);
	/* A 1 GiB guest's measurements take seconds; the kill comes at 0.5. */
	snprintf(cmd, sizeof(cmd), "timeout -s KILL 0.5 %s calibrate --memory 1G --output %s 2>/dev/null",
		 kltest_kvmlite(), path);
	int st = system(cmd);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 128 + 9); /* killed */
	f = fopen(path, "r");
	assert_non_null(f);
	text[fread(text, 1, sizeof(text) - 1, f)] = 0;
	fclose(f);
	assert_string_equal(text, "bandwidth = 1\n");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	kltest_init(300);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_output_fails_first),
		cmocka_unit_test(test_calibrate_writes_a_profile),
		cmocka_unit_test(test_old_profile_survives_an_interrupted_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_whole_trace.c - sim_run checks the whole trace, also the part after
 * the point where the migration ended: a 16-page VM migrates in about a
 * millisecond, long before the trace's bad line, and the run must still
 * fail with "FILE:LINE: what" and no result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "sim.h"

#define PATH_LEN 64
/* Header lines 1-4, then one `d` line per 100 ms from line 5 on. */
#define GOOD_LINES 50

static void temp_path(char *path, const char *suffix)
{
	snprintf(path, PATH_LEN, "/tmp/mplm-whole-XXXXXX%s", suffix);
	int fd = mkstemps(path, (int)strlen(suffix));
	if (fd < 0)
		fail_msg("mkstemps: %s", path);
	close(fd);
}

/* A 16-page trace: GOOD_LINES good intervals, then `tail` (may be ""). */
static void write_trace(char *path, const char *tail)
{
	temp_path(path, ".trace");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100000\n");
	for (unsigned i = 1; i <= GOOD_LINES; i++)
		fprintf(f, "d %u %u\n", i * 100000, i % 16);
	fputs(tail, f);
	assert_int_equal(fclose(f), 0);
}

/* Run the trace on its own size of VM; returns sim_run's code. */
static int run(const char *path, struct sim_result *r)
{
	struct sim_config c;
	sim_config_default(&c);
	c.trace_path = path;
	c.params.algorithm = MPLM_ALG_MPLM;
	return sim_run(&c, r);
}

/* The run fails with "PATH:LINE: what" and leaves no result behind. */
static void expect_trace_error(const char *path, unsigned line,
			       const char *what)
{
	struct sim_result r;
	char where[PATH_LEN + 16];
	assert_int_equal(run(path, &r), -1);
	snprintf(where, sizeof(where), "%s:%u: ", path, line);
	if (strncmp(r.error, where, strlen(where)) != 0 || !strstr(r.error, what))
		fail_msg("want '%s%s', got '%s'", where, what, r.error);
	assert_null(r.syncs);
	assert_int_equal(r.stats.total_time, 0);
	sim_result_free(&r);
}

/* The control: the same good trace migrates, and well before its end. */
static void test_good_trace_completes(void **state)
{
	(void)state;
	char path[PATH_LEN];
	struct sim_result r;
	write_trace(path, "e 6000000\n");
	assert_int_equal(run(path, &r), 0);
	assert_int_equal(r.stats.status, MPLM_STATUS_COMPLETED);
	assert_true(r.stats.total_time < 1.0);
	sim_result_free(&r);
	unlink(path);
}

/* Bad lines after the good part: a `p` line after `d` lines, a time that
 * goes back, a record after `e`. */
static void test_bad_lines_late(void **state)
{
	(void)state;
	static const struct {
		const char *tail;
		unsigned line;
		const char *what;
	} cases[] = {
		{ "p 1\n", 5 + GOOD_LINES, "p line after a d line" },
		{ "d 400000 3\n", 5 + GOOD_LINES, "does not increase" },
		{ "e 6000000\nd 7000000 1\n", 6 + GOOD_LINES, "after the e line" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[PATH_LEN];
		write_trace(path, cases[i].tail);
		expect_trace_error(path, cases[i].line, cases[i].what);
		unlink(path);
	}
}

/* Two gzip members, the second cut short. The first holds more than the
 * reader's 1 MiB buffer, so opening the trace does not reach the cut. */
static void test_truncated_gzip_member(void **state)
{
	(void)state;
	char path[PATH_LEN];
	temp_path(path, ".trace.gz");
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	gzprintf(gz, "mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100000\n");
	unsigned i = 1;
	for (; i <= 100000; i++)
		gzprintf(gz, "d %llu %u-15\n", i * 100000ULL, i % 16);
	assert_int_equal(gzclose(gz), Z_OK);

	FILE *f = fopen(path, "ab");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long first = ftell(f);
	gz = gzdopen(dup(fileno(f)), "ab");
	assert_non_null(gz);
	for (; i <= 200000; i++)
		gzprintf(gz, "d %llu %u\n", i * 100000ULL, i % 16);
	assert_int_equal(gzclose(gz), Z_OK);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long whole = ftell(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(truncate(path, first + (whole - first) / 2), 0);

	struct sim_result r;
	assert_int_equal(run(path, &r), -1);
	if (!strstr(r.error, path) || !strstr(r.error, "truncated gzip"))
		fail_msg("want '%s:LINE: truncated gzip ...', got '%s'", path, r.error);
	sim_result_free(&r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_trace_completes),
		cmocka_unit_test(test_bad_lines_late),
		cmocka_unit_test(test_truncated_gzip_member),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_trace_smallbuf.c - the reader compiled with a 7-byte read buffer,
 * so that every number, word and line break is split across refills:
 * the NPB traces, long lines and error line numbers must come out as with
 * the normal buffer. (This file carries its own copy of the reader; the
 * library's is not linked in.)
 */
#define READ_BUF_SIZE 7
#include "../trace_reader.c"

#include "wl_test.h"


static void npb_counts(void **state)
{
	static const struct {
		const char *file;
		uint64_t intervals, total, end_us;
	} traces[] = {
		{ "npb-mg.B.trace.gz", 73, 4207761, 7291917 },
		{ "npb-bt.B.trace.gz", 1202, 13133050, 120137692 },
	};
	char path[1024];
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), NPB_TRACE_DIR "/%s", traces[i].file);
		struct read_result res;
		read_path(path, &res);
		assert_int_equal(res.status, 0);
		assert_int_equal(res.intervals, traces[i].intervals);
		assert_int_equal(res.total, traces[i].total);
		assert_int_equal(res.end_us, traces[i].end_us);
	}
}

static void text_values(void **state)
{
	char *path = write_tmp_str("mplm-trace 1\r\nworkload  a longer name \npage-size 4096\n"
				   "pages 100\ninterval-us 1\n# a comment that is long\n"
				   "p 1 3-4\nd 12345 0-99\nd 12346 7 11 13 17-19 98\ne 12346\n");
	struct read_result res;
	char err[256];
	(void)state;

	trace_source *s = trace_open(path, err, sizeof(err));
	assert_non_null(s);
	assert_string_equal(trace_source_info(s)->workload, "a longer name");
	read_source(s, &res);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.total, 100 + 7);
	assert_int_equal(res.initial_count, 3);
	assert_int_equal(trace_source_rewind(s), 0);
	struct read_result again;
	read_source(s, &again);
	assert_int_equal(again.hash, res.hash);
	trace_source_close(s);
	drop_tmp(path);
}

static void error_lines(void **state)
{
	static const struct {
		const char *text;
		const char *where;
	} cases[] = {
		{ "mplm-trace 1\npage-size 4096\npages 100\ninterval-us 1\nd 1 1\nd 2 123456\n",
		  ":6: page 123456 out of range" },
		{ "mplm-trace 1\npage-size 4096\npages 100\ninterval-us 1\n\n\n\nd 1 12345678901234567890123\n",
		  ":8: malformed page number: number overflows" },
		{ "mplm-trace 1\npage-size 4096\npages 100\n", ":4: missing required header key 'interval-us'" },
		{ "mplm-trace 1\npage-size 4096\npages 100\ninterval-us 1\nd 1 5-3\n", ":5: range 5-3 has a > b" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = write_tmp_str(cases[i].text);
		struct read_result res;
		read_path(path, &res);
		assert_int_not_equal(res.status, 0);
		if (!strstr(res.err, cases[i].where))
			fail_msg("expected \"%s\" in \"%s\"", cases[i].where, res.err);
		drop_tmp(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(npb_counts),
		cmocka_unit_test(text_values),
		cmocka_unit_test(error_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

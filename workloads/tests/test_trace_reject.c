/*
 * test_trace_reject.c - every rejection rule of the trace format, one test
 * each: the reader must fail with "FILE:LINE: reason" at the right line.
 */
#include "wl_test.h"

/* Four header lines: a record on the next line is line 5. */
#define H "mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100000\n"

static void check_message(const char *path, const struct read_result *res,
			  unsigned line, const char *reason)
{
	char prefix[512];

	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	if (strncmp(res->err, prefix, strlen(prefix)) != 0 ||
	    !strstr(res->err, reason))
		fail_msg("expected \"%s...%s\", got \"%s\"", prefix, reason,
			 res->err);
}

static void expect_reject_data(const void *data, size_t len, bool gz,
			       unsigned line, const char *reason)
{
	char *path = gz ? write_tmp_gz(data, len) : write_tmp(data, len, ".trace");
	struct read_result res;

	read_path(path, &res);
	assert_int_not_equal(res.status, 0);
	check_message(path, &res, line, reason);
	drop_tmp(path);
}

static void expect_reject(const char *text, unsigned line, const char *reason)
{
	expect_reject_data(text, strlen(text), false, line, reason);
}

#define REJECT(name, text, line, reason)                     \
	static void name(void **state)                       \
	{                                                    \
		(void)state;                                 \
		expect_reject(text, line, reason);           \
	}

/* First line. */
REJECT(empty_file, "", 1, "empty file")
REJECT(first_line_other, "hello world\n" H, 1, "first line must be 'mplm-trace 1'")
REJECT(first_line_version, "mplm-trace 2\npage-size 4096\n", 1, "version '2'")
REJECT(first_line_junk, "mplm-trace 1 x\n", 1, "unexpected 'x'")
REJECT(first_line_comment, "# comment\n" H, 1, "first line must be")

/* Required keys: at the first record, or where the file ends. */
REJECT(missing_page_size, "mplm-trace 1\npages 16\ninterval-us 1\nd 5 1\n", 4,
       "missing required header key 'page-size'")
REJECT(missing_pages, "mplm-trace 1\npage-size 4096\ninterval-us 1\n# x\np 1\n", 5,
       "missing required header key 'pages'")
REJECT(missing_interval_at_eof, "mplm-trace 1\npage-size 4096\npages 16\n", 4,
       "missing required header key 'interval-us' (at the end of the file)")

/* Header values. */
REJECT(page_size_not_power_of_two, "mplm-trace 1\npages 16\npage-size 3000\n", 3,
       "page-size 3000 is not a power of two")
REJECT(page_size_zero, "mplm-trace 1\npage-size 0\n", 2, "not a power of two")
REJECT(pages_zero, "mplm-trace 1\npages 0\n", 2, "pages must be at least 1")
REJECT(pages_huge, "mplm-trace 1\npages 18446744073709551615\n", 2,
       "above the limit")
REJECT(interval_zero, "mplm-trace 1\ninterval-us 0\n", 2,
       "interval-us must be at least 1")
REJECT(header_value_missing, "mplm-trace 1\npages\n", 2,
       "expected a number, found end of line")
REJECT(header_value_junk, "mplm-trace 1\npages 16 pages\n", 2,
       "unexpected 'p' after pages")
REJECT(duplicate_key, H "pages 16\n", 5,
       "duplicate header key 'pages' (first on line 3)")
REJECT(header_after_record, H "p 1\npages 16\n", 6, "unknown record 'pages'")

/* Ranges. */
REJECT(page_out_of_range, H "d 100 3 16\n", 5, "page 16 out of range (pages 16)")
REJECT(page_out_of_range_in_range, H "d 100 3-20\n", 5, "page 20 out of range")
REJECT(page_out_of_range_in_p, H "p 0-16\n", 5, "page 16 out of range")
REJECT(range_reversed, H "d 100 5-3\n", 5, "range 5-3 has a > b")
REJECT(ranges_out_of_order, H "d 100 1 2\nd 200 7 5\n", 6,
       "range starting at 5 is out of order")
REJECT(ranges_overlap, H "d 100 1-5 5-7\n", 5, "overlaps the previous range")
REJECT(ranges_repeat, H "p 3 3\n", 5, "out of order or overlaps")

/* Times. */
REJECT(time_equal, H "d 100 1\nd 100 2\n", 6, "d time 100 does not increase")
REJECT(time_decreasing, H "d 100 1\n# c\nd 50 2\n", 7,
       "d time 50 does not increase (previous d time 100)")
REJECT(e_before_last_d, H "d 100 1\ne 99\n", 6,
       "e time 99 is before the last d time 100")

/* Numbers. */
REJECT(number_minus_sign, H "d 100 -1\n", 5, "numbers have no sign")
REJECT(number_plus_sign, H "d +100 1\n", 5, "numbers have no sign")
REJECT(number_overflow, H "d 18446744073709551616 1\n", 5,
       "overflows 64 bits")
REJECT(number_overflow_long, H "d 99999999999999999999999999999 1\n", 5,
       "overflows 64 bits")
REJECT(number_trailing_junk, H "d 100 12x\n", 5, "junk 'x' after 12")
REJECT(number_time_junk, H "d 100x 1\n", 5, "junk 'x' after 100")
REJECT(number_hex, H "p 0x10\n", 5, "junk 'x' after 0")
REJECT(number_empty_time, H "d\n", 5, "expected a number, found end of line")
REJECT(number_empty_range_end, H "d 100 3-\n", 5,
       "expected a number, found end of line")
REJECT(number_double_dash, H "d 100 3--4\n", 5, "numbers have no sign")
REJECT(number_e_junk, H "d 100 1\ne 200 300\n", 6, "unexpected '3' after the e time")

static void number_nul_byte(void **state)
{
	static const char text[] = H "d 100 1\0\n";
	(void)state;
	expect_reject_data(text, sizeof(text) - 1, false, 5, "junk byte 0x00 after 1");
}

/* Record order and letters. */
REJECT(p_after_d, H "p 1\nd 100 1\np 2\n", 7, "p line after a d line")
REJECT(unknown_record, H "d 100 1\nx 200 1\n", 6, "unknown record 'x'")
REJECT(unknown_record_long, H "d 100 1\ndd 200 1\n", 6, "unknown record 'dd'")
REJECT(line_after_e, H "d 100 1\ne 200\n\n# ok\nd 300 1\n", 9,
       "unexpected 'd' after the e line")
REJECT(second_e, H "e 200\ne 300\n", 6, "unexpected 'e' after the e line")

/* gzip. */
static char *numbered_trace(size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *t = malloc(cap);

	assert_non_null(t);
	n += (size_t)snprintf(t, cap, "mplm-trace 1\npage-size 4096\npages 100000\ninterval-us 100\n");
	for (unsigned i = 1; i <= 20000; i++)
		n += (size_t)snprintf(t + n, cap - n, "d %u %u-%u %u\n", i * 100,
				      i % 1000, i % 1000 + 7, 50000 + i);
	*len = n;
	return t;
}

static void gzip_truncated(void **state)
{
	size_t len, glen;
	char *text = numbered_trace(&len);
	char *full = write_tmp_gz(text, len);
	char *gz = read_whole(full, &glen);
	(void)state;

	/* Cut in the middle of the deflate data. */
	char *path = write_tmp(gz, glen / 2, ".trace.gz");
	struct read_result res;
	read_path(path, &res);
	assert_int_equal(res.status, -2);
	assert_non_null(strstr(res.err, "truncated gzip stream"));
	assert_int_equal(strncmp(res.err, path, strlen(path)), 0);
	drop_tmp(path);

	/* Only the CRC and length trailer missing. */
	path = write_tmp(gz, glen - 8, ".trace.gz");
	read_path(path, &res);
	assert_int_equal(res.status, -2);
	assert_non_null(strstr(res.err, "truncated gzip stream"));
	drop_tmp(path);

	free(gz);
	free(text);
	drop_tmp(full);
}

static void gzip_truncated_header(void **state)
{
	const char text[] = H "d 100 1\n";
	char *full = write_tmp_gz(text, strlen(text));
	size_t glen;
	char *gz = read_whole(full, &glen);
	(void)state;

	/* A gzip header cut short: nothing can be read at all. */
	char *path = write_tmp(gz, 12, ".trace.gz");
	struct read_result res;
	read_path(path, &res);
	assert_int_equal(res.status, -1);
	check_message(path, &res, 1, "truncated gzip stream");
	drop_tmp(path);
	free(gz);
	drop_tmp(full);
}

static void gzip_corrupt(void **state)
{
	size_t len, glen;
	char *text = numbered_trace(&len);
	char *full = write_tmp_gz(text, len);
	char *gz = read_whole(full, &glen);
	(void)state;

	gz[glen - 6] ^= 0x55; /* in the stored CRC: a trailer mismatch */
	char *path = write_tmp(gz, glen, ".trace.gz");
	struct read_result res;
	read_path(path, &res);
	/* zlib drops the data of the read that fails, so this may show as
	 * soon as open. */
	assert_int_not_equal(res.status, 0);
	assert_int_equal(strncmp(res.err, path, strlen(path)), 0);
	assert_non_null(strstr(res.err, "corrupt gzip stream"));
	drop_tmp(path);
	free(gz);
	free(text);
	drop_tmp(full);
}

static void gzip_error_line(void **state)
{
	/* The error names the line being read when the data ran out. */
	const char text[] = H "d 100 1\nd 200 2\nd 300 3\n";
	char *full = write_tmp_gz(text, strlen(text));
	size_t glen;
	char *gz = read_whole(full, &glen);
	(void)state;

	char *path = write_tmp(gz, glen - 4, ".trace.gz");
	struct read_result res;
	read_path(path, &res);
	assert_int_equal(res.status, -2);
	check_message(path, &res, 8, "truncated gzip stream");
	drop_tmp(path);
	free(gz);
	drop_tmp(full);
}

static void missing_file(void **state)
{
	char err[512];
	(void)state;

	assert_null(trace_open("/nonexistent/x.trace", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/x.trace: cannot open: No such file or directory");
}

static void bitmap_too_small(void **state)
{
	char *path = write_tmp_str(H "d 100 15\n");
	char err[512];
	trace_source *s = trace_open(path, err, sizeof(err));
	mplm_bitmap *b = mplm_bitmap_new(8);
	uint64_t t, n;
	(void)state;

	assert_non_null(s);
	assert_int_equal(trace_source_next(s, b, &t, &n), -1);
	assert_non_null(strstr(trace_source_error(s), "smaller than the trace"));
	/* Errors stick until a rewind. */
	mplm_bitmap *ok = mplm_bitmap_new(16);
	assert_int_equal(trace_source_next(s, ok, &t, &n), -1);
	assert_int_equal(trace_source_rewind(s), 0);
	assert_string_equal(trace_source_error(s), "");
	assert_int_equal(trace_source_next(s, ok, &t, &n), 1);
	assert_int_equal(n, 1);
	mplm_bitmap_free(ok);
	mplm_bitmap_free(b);
	trace_source_close(s);
	drop_tmp(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_file),
		cmocka_unit_test(first_line_other),
		cmocka_unit_test(first_line_version),
		cmocka_unit_test(first_line_junk),
		cmocka_unit_test(first_line_comment),
		cmocka_unit_test(missing_page_size),
		cmocka_unit_test(missing_pages),
		cmocka_unit_test(missing_interval_at_eof),
		cmocka_unit_test(page_size_not_power_of_two),
		cmocka_unit_test(page_size_zero),
		cmocka_unit_test(pages_zero),
		cmocka_unit_test(pages_huge),
		cmocka_unit_test(interval_zero),
		cmocka_unit_test(header_value_missing),
		cmocka_unit_test(header_value_junk),
		cmocka_unit_test(duplicate_key),
		cmocka_unit_test(header_after_record),
		cmocka_unit_test(page_out_of_range),
		cmocka_unit_test(page_out_of_range_in_range),
		cmocka_unit_test(page_out_of_range_in_p),
		cmocka_unit_test(range_reversed),
		cmocka_unit_test(ranges_out_of_order),
		cmocka_unit_test(ranges_overlap),
		cmocka_unit_test(ranges_repeat),
		cmocka_unit_test(time_equal),
		cmocka_unit_test(time_decreasing),
		cmocka_unit_test(e_before_last_d),
		cmocka_unit_test(number_minus_sign),
		cmocka_unit_test(number_plus_sign),
		cmocka_unit_test(number_overflow),
		cmocka_unit_test(number_overflow_long),
		cmocka_unit_test(number_trailing_junk),
		cmocka_unit_test(number_time_junk),
		cmocka_unit_test(number_hex),
		cmocka_unit_test(number_empty_time),
		cmocka_unit_test(number_empty_range_end),
		cmocka_unit_test(number_double_dash),
		cmocka_unit_test(number_e_junk),
		cmocka_unit_test(number_nul_byte),
		cmocka_unit_test(p_after_d),
		cmocka_unit_test(unknown_record),
		cmocka_unit_test(unknown_record_long),
		cmocka_unit_test(line_after_e),
		cmocka_unit_test(second_e),
		cmocka_unit_test(gzip_truncated),
		cmocka_unit_test(gzip_truncated_header),
		cmocka_unit_test(gzip_corrupt),
		cmocka_unit_test(gzip_error_line),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(bitmap_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_trace_read.c - what the reader accepts and what it makes of it:
 * p-line semantics, end times, comments, gzip, long lines, rewind.
 */
#include "wl_test.h"

#define H "mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100000\n"

static const char example[] =
	"mplm-trace 1\n"
	"page-size 4096\n"
	"pages 16\n"
	"interval-us 100000\n"
	"workload toy\n"
	"p 0-9\n"
	"d 100000 0-3 8\n"
	"d 200000\n"
	"d 300000 2 12-15\n"
	"e 350000\n";

static trace_source *open_text(const char *text, char **path)
{
	char err[512];

	*path = write_tmp_str(text);
	trace_source *s = trace_open(*path, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	return s;
}

/* The example of trace-format.md, interval by interval. */
static void spec_example(void **state)
{
	char *path;
	trace_source *s = open_text(example, &path);
	mplm_bitmap *b = mplm_bitmap_new(16);
	uint64_t t, n;
	(void)state;

	const struct trace_info *info = trace_source_info(s);
	assert_int_equal(info->page_size, 4096);
	assert_int_equal(info->pages, 16);
	assert_int_equal(info->interval_us, 100000);
	assert_string_equal(info->workload, "toy");
	assert_string_equal(info->origin, "");
	assert_int_equal(mplm_bitmap_count(trace_source_initial(s)), 10);
	assert_int_equal(mplm_bitmap_find_next_set(trace_source_initial(s), 10), 16);

	assert_int_equal(trace_source_next(s, b, &t, &n), 1);
	assert_int_equal(t, 100000);
	assert_int_equal(n, 5);
	assert_true(mplm_bitmap_test(b, 0) && mplm_bitmap_test(b, 3) &&
		    mplm_bitmap_test(b, 8) && !mplm_bitmap_test(b, 4));
	mplm_bitmap_zero(b);
	assert_int_equal(trace_source_next(s, b, &t, &n), 1);
	assert_int_equal(t, 200000);
	assert_int_equal(n, 0);
	assert_int_equal(trace_source_next(s, b, &t, &n), 1);
	assert_int_equal(t, 300000);
	assert_int_equal(n, 5);
	assert_int_equal(mplm_bitmap_count(b), 5);
	assert_int_equal(trace_source_next(s, b, &t, &n), 0);
	assert_int_equal(t, 350000);
	assert_int_equal(n, 0);
	/* The end stays the end. */
	assert_int_equal(trace_source_next(s, b, &t, &n), 0);
	assert_int_equal(t, 350000);
	mplm_bitmap_free(b);
	trace_source_close(s);
	drop_tmp(path);
}

/* Bits already set in the caller's bitmap stay set; count is the
 * interval's own. */
/* read_to_end checks what is left after the intervals already read: a
 * good rest ends with 0 (and the end stays the end), a bad line far on is
 * found with its line number. */
static void read_to_end_checks_the_rest(void **state)
{
	char *path;
	mplm_bitmap *b = mplm_bitmap_new(16);
	uint64_t t, n;
	(void)state;

	trace_source *s = open_text(example, &path);
	assert_int_equal(trace_source_next(s, b, &t, &n), 1);
	assert_int_equal(trace_source_read_to_end(s), 0);
	assert_int_equal(trace_source_next(s, b, &t, &n), 0);
	assert_int_equal(t, 350000);
	trace_source_close(s);
	drop_tmp(path);

	s = open_text("mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100\n"
		      "d 100 1\nd 200 2\nd 300 3\np 4\n", &path);
	assert_int_equal(trace_source_next(s, b, &t, &n), 1);
	assert_int_equal(trace_source_read_to_end(s), -1);
	char want[256];
	snprintf(want, sizeof(want), "%s:8: p line after a d line", path);
	assert_string_equal(trace_source_error(s), want);
	trace_source_close(s);
	drop_tmp(path);
	mplm_bitmap_free(b);
}

static void next_ors_into_bitmap(void **state)
{
	char *path;
	trace_source *s = open_text(H "d 10 1-2 5\n", &path);
	mplm_bitmap *b = mplm_bitmap_new(100); /* larger than the trace */
	uint64_t t, n;
	(void)state;

	mplm_bitmap_set(b, 2);
	mplm_bitmap_set(b, 9);
	assert_int_equal(trace_source_next(s, b, &t, &n), 1);
	assert_int_equal(n, 3);
	assert_int_equal(mplm_bitmap_count(b), 4);
	assert_true(mplm_bitmap_test(b, 9));
	mplm_bitmap_free(b);
	trace_source_close(s);
	drop_tmp(path);
}

static void p_none_means_all_nonzero(void **state)
{
	char *path;
	trace_source *s = open_text(H "d 10 1\n", &path);
	(void)state;

	assert_null(trace_source_initial(s));
	trace_source_close(s);
	drop_tmp(path);
}

static void p_empty_means_all_zero(void **state)
{
	char *path;
	trace_source *s = open_text(H "p\nd 10 1\n", &path);
	(void)state;

	assert_non_null(trace_source_initial(s));
	assert_int_equal(mplm_bitmap_count(trace_source_initial(s)), 0);
	trace_source_close(s);
	drop_tmp(path);
}

static void p_lines_add_up(void **state)
{
	char *path;
	/* Across lines, ranges may repeat: the lines add up. */
	trace_source *s = open_text(H "p 0-3\n# between\np\np 2-5 15\n", &path);
	(void)state;

	const mplm_bitmap *ini = trace_source_initial(s);
	assert_int_equal(mplm_bitmap_count(ini), 7);
	assert_true(mplm_bitmap_test(ini, 15) && mplm_bitmap_test(ini, 5));
	assert_false(mplm_bitmap_test(ini, 6));
	trace_source_close(s);
	drop_tmp(path);
}

static void end_time_variants(void **state)
{
	struct read_result res;
	char *path;
	(void)state;

	path = write_tmp_str(H "d 100 1\nd 250 2\n"); /* no e: last d */
	read_path(path, &res);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.intervals, 2);
	assert_int_equal(res.end_us, 250);
	drop_tmp(path);

	path = write_tmp_str(H); /* nothing at all: 0 */
	read_path(path, &res);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.intervals, 0);
	assert_int_equal(res.end_us, 0);
	drop_tmp(path);

	path = write_tmp_str(H "p 1\ne 777\n"); /* only e */
	read_path(path, &res);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.intervals, 0);
	assert_int_equal(res.end_us, 777);
	drop_tmp(path);

	path = write_tmp_str(H "d 100 1\ne 100\n"); /* e at the last d */
	read_path(path, &res);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.end_us, 100);
	drop_tmp(path);

	/* The largest time there is. */
	path = write_tmp_str(H "d 0\nd 18446744073709551615 15\n");
	read_path(path, &res);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.end_us, UINT64_MAX);
	drop_tmp(path);
}

/* Comments, blank lines, CRLF, tabs, unknown keys, any key order. */
static void lenient_layout(void **state)
{
	static const char text[] =
		"mplm-trace 1\r\n"
		"# a comment\n"
		"\n"
		"interval-us 100000\r\n"
		"future-key whatever it says\n"
		"x 1\n"
		"pages\t16\n"
		"   # indented comment\n"
		"page-size 4096   \n"
		"origin   made by hand  \n"
		"\n"
		"p 1 3-4\r\n"
		"#\n"
		"d 100\t0-3   8 \r\n"
		"\t\n"
		"d 200\n"
		"# comment after the last d\n"
		"e 300\r\n"
		"\n"
		"# and after e\n";
	char *path;
	trace_source *s = open_text(text, &path);
	struct read_result res;
	(void)state;

	assert_string_equal(trace_source_info(s)->origin, "made by hand");
	assert_int_equal(trace_source_info(s)->pages, 16);
	read_source(s, &res);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.intervals, 2);
	assert_int_equal(res.total, 5);
	assert_int_equal(res.end_us, 300);
	assert_int_equal(res.initial_count, 3);
	trace_source_close(s);
	drop_tmp(path);
}

/* No final newline anywhere. */
static void no_final_newline(void **state)
{
	struct read_result res;
	char *path = write_tmp_str(H "d 100 1-2");
	(void)state;

	read_path(path, &res);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.total, 2);
	drop_tmp(path);
}

/* Text values longer than trace_info holds are cut, not rejected. */
static void long_text_values(void **state)
{
	char text[4096], *path;
	size_t n = (size_t)snprintf(text, sizeof(text), "mplm-trace 1\norigin ");
	(void)state;

	memset(text + n, 'o', 1000);
	n += 1000;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nworkload ");
	memset(text + n, 'w', 500);
	n += 500;
	snprintf(text + n, sizeof(text) - n, "\npage-size 4096\npages 16\ninterval-us 1\nd 1 1\n");
	trace_source *s = open_text(text, &path);
	const struct trace_info *info = trace_source_info(s);
	assert_int_equal(strlen(info->origin), sizeof(info->origin) - 1);
	assert_int_equal(strlen(info->workload), sizeof(info->workload) - 1);
	trace_source_close(s);
	drop_tmp(path);
}

/* A d line of 8 MB (every other page of 2M), a long comment, a long
 * unknown header line: nothing assumes a line length. */
static void long_lines(void **state)
{
	const uint64_t pages = 2 * 1024 * 1024;
	size_t cap = 40u << 20, n = 0;
	char *text = malloc(cap), *path;
	struct read_result res;
	(void)state;

	assert_non_null(text);
	n += (size_t)snprintf(text + n, cap - n,
			      "mplm-trace 1\npage-size 4096\npages %llu\ninterval-us 1\nlong-key ",
			      (unsigned long long)pages);
	memset(text + n, 'k', 3 << 20);
	n += 3 << 20;
	text[n++] = '\n';
	text[n++] = '#';
	memset(text + n, 'c', 3 << 20);
	n += 3 << 20;
	n += (size_t)snprintf(text + n, cap - n, "\nd 1");
	for (uint64_t p = 0; p < pages; p += 2)
		n += (size_t)snprintf(text + n, cap - n, " %llu", (unsigned long long)p);
	n += (size_t)snprintf(text + n, cap - n, "\nd 2 0-%llu\n",
			      (unsigned long long)pages - 1);
	path = write_tmp(text, n, ".trace");
	read_path(path, &res);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.intervals, 2);
	assert_int_equal(res.total, pages / 2 + pages);
	drop_tmp(path);

	/* The same through gzip. */
	path = write_tmp_gz(text, n);
	struct read_result gz;
	read_path(path, &gz);
	assert_int_equal(gz.status, 0);
	assert_int_equal(gz.hash, res.hash);
	drop_tmp(path);
	free(text);
}

/* gzip is recognised by content: a .gz name holding plain text and a
 * plain name holding gzip both read, to the same intervals. */
static void gzip_by_content(void **state)
{
	char *plain = write_tmp_str(example);
	char *gz = write_tmp_gz(example, strlen(example));
	char *plain_gz = write_tmp(example, strlen(example), ".trace.gz");
	size_t glen;
	void *gzdata = read_whole(gz, &glen);
	char *gz_plain = write_tmp(gzdata, glen, ".trace");
	struct read_result a, b, c, d;
	(void)state;

	read_path(plain, &a);
	read_path(gz, &b);
	read_path(plain_gz, &c);
	read_path(gz_plain, &d);
	assert_int_equal(a.status, 0);
	assert_int_equal(a.intervals, 3);
	assert_int_equal(b.status, 0);
	assert_int_equal(c.status, 0);
	assert_int_equal(d.status, 0);
	assert_int_equal(a.hash, b.hash);
	assert_int_equal(a.hash, c.hash);
	assert_int_equal(a.hash, d.hash);
	free(gzdata);
	drop_tmp(plain);
	drop_tmp(gz);
	drop_tmp(plain_gz);
	drop_tmp(gz_plain);
}

static void rewind_one(const char *path)
{
	char err[512];
	trace_source *s = trace_open(path, err, sizeof(err));
	struct read_result first, again;
	mplm_bitmap *b;
	uint64_t t, n;

	assert_non_null(s);
	read_source(s, &first);
	assert_int_equal(first.status, 0);
	assert_int_equal(trace_source_rewind(s), 0);
	read_source(s, &again);
	assert_int_equal(again.status, 0);
	assert_int_equal(again.intervals, first.intervals);
	assert_int_equal(again.end_us, first.end_us);
	assert_int_equal(again.hash, first.hash);

	/* From the middle, too. */
	assert_int_equal(trace_source_rewind(s), 0);
	b = mplm_bitmap_new(trace_source_info(s)->pages);
	assert_true(trace_source_next(s, b, &t, &n) >= 0);
	assert_int_equal(trace_source_rewind(s), 0);
	read_source(s, &again);
	assert_int_equal(again.hash, first.hash);
	mplm_bitmap_free(b);
	trace_source_close(s);
}

static void rewind_identical(void **state)
{
	static const char *const texts[] = {
		example,
		H "p 1\n# comments before the first d\n\nd 5 1\nd 6\n",
		H "d 5 1\nd 9 2",           /* no newline, no e */
		H "p 3\n",                  /* no interval at all */
		H "e 42\n",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *path = write_tmp_str(texts[i]);
		rewind_one(path);
		drop_tmp(path);
		path = write_tmp_gz(texts[i], strlen(texts[i]));
		rewind_one(path);
		drop_tmp(path);
	}
}

/* Error messages name the file as given. */
static void error_names_file(void **state)
{
	char *path = write_tmp_str(H "d 1 99\n");
	char err[512], want[600];
	(void)state;

	trace_source *s = trace_open(path, err, sizeof(err));
	mplm_bitmap *b = mplm_bitmap_new(16);
	uint64_t t, n;
	assert_int_equal(trace_source_next(s, b, &t, &n), -1);
	snprintf(want, sizeof(want), "%s:5: page 99 out of range (pages 16)", path);
	assert_string_equal(trace_source_error(s), want);
	mplm_bitmap_free(b);
	trace_source_close(s);
	drop_tmp(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_example),
		cmocka_unit_test(read_to_end_checks_the_rest),
		cmocka_unit_test(next_ors_into_bitmap),
		cmocka_unit_test(p_none_means_all_nonzero),
		cmocka_unit_test(p_empty_means_all_zero),
		cmocka_unit_test(p_lines_add_up),
		cmocka_unit_test(end_time_variants),
		cmocka_unit_test(lenient_layout),
		cmocka_unit_test(no_final_newline),
		cmocka_unit_test(long_text_values),
		cmocka_unit_test(long_lines),
		cmocka_unit_test(gzip_by_content),
		cmocka_unit_test(rewind_identical),
		cmocka_unit_test(error_names_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

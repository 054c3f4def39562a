/*
 * test_trace_write.c - the writer: round trips through the reader (plain
 * and gzip), its own checks, write errors, trace_copy.
 */
#include "wl_test.h"


static const struct trace_info small_info = {
	.page_size = 4096,
	.pages = 1000,
	.interval_us = 100000,
	.workload = "round trip",
	.origin = "test_trace_write",
};

/* Pages set at the edges of words and of the range, runs and singles. */
static void fill_interval(mplm_bitmap *b, unsigned k)
{
	uint64_t n = mplm_bitmap_nbits(b);

	switch (k % 6) {
	case 0: /* nothing */
		break;
	case 1:
		mplm_bitmap_fill(b);
		break;
	case 2:
		mplm_bitmap_set(b, 0);
		mplm_bitmap_set(b, n - 1);
		mplm_bitmap_set_range(b, 63, 64);
		mplm_bitmap_set_range(b, 127, 300);
		break;
	default:
		for (uint64_t i = k; i < n; i += 3 + k % 7)
			mplm_bitmap_set(b, i);
		break;
	}
}

/* Write 30 intervals (and maybe p lines), read them back, compare. */
static void round_trip(const char *suffix, bool with_initial, bool with_end)
{
	char *path = tmp_path(suffix), err[512];
	trace_writer *w = trace_writer_open(path, &small_info, err, sizeof(err));
	mplm_bitmap *b = mplm_bitmap_new(small_info.pages);
	mplm_bitmap *got = mplm_bitmap_new(small_info.pages);
	uint64_t t, n;

	assert_non_null(w);
	if (with_initial) {
		mplm_bitmap_set_range(b, 10, 20);
		mplm_bitmap_set(b, 999);
		assert_int_equal(trace_writer_initial(w, b), 0);
		mplm_bitmap_zero(b);
	}
	for (unsigned k = 0; k < 30; k++) {
		fill_interval(b, k);
		assert_int_equal(trace_writer_interval(w, 1000 * (k + 1), b), 0);
		mplm_bitmap_zero(b);
	}
	assert_int_equal(trace_writer_close(w, with_end ? 30500 : TRACE_NO_END,
					    err, sizeof(err)), 0);

	trace_source *s = trace_open(path, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	const struct trace_info *info = trace_source_info(s);
	assert_int_equal(info->page_size, small_info.page_size);
	assert_int_equal(info->pages, small_info.pages);
	assert_int_equal(info->interval_us, small_info.interval_us);
	assert_string_equal(info->workload, small_info.workload);
	assert_string_equal(info->origin, small_info.origin);
	if (with_initial) {
		assert_int_equal(mplm_bitmap_count(trace_source_initial(s)), 12);
		assert_true(mplm_bitmap_test(trace_source_initial(s), 999));
	} else {
		assert_null(trace_source_initial(s));
	}
	for (unsigned k = 0; k < 30; k++) {
		fill_interval(b, k);
		assert_int_equal(trace_source_next(s, got, &t, &n), 1);
		assert_int_equal(t, 1000 * (k + 1));
		assert_int_equal(n, mplm_bitmap_count(b));
		assert_memory_equal(mplm_bitmap_cwords(got), mplm_bitmap_cwords(b),
				    mplm_bitmap_nwords(b) * sizeof(uint64_t));
		mplm_bitmap_zero(b);
		mplm_bitmap_zero(got);
	}
	assert_int_equal(trace_source_next(s, got, &t, &n), 0);
	assert_int_equal(t, with_end ? 30500 : 30000);
	trace_source_close(s);

	/* gzip exactly when the name says so. */
	size_t len;
	unsigned char *raw = read_whole(path, &len);
	bool is_gzip = len > 2 && raw[0] == 0x1f && raw[1] == 0x8b;
	assert_int_equal(is_gzip, strstr(suffix, ".gz") != NULL);
	static const char head[] = "mplm-trace 1\npage-size 4096\npages 1000\n"
				   "interval-us 100000\nworkload round trip\n";
	if (!is_gzip)
		assert_memory_equal(raw, head, strlen(head));
	free(raw);
	mplm_bitmap_free(b);
	mplm_bitmap_free(got);
	drop_tmp(path);
}

static void round_trip_plain(void **state)
{
	(void)state;
	round_trip(".trace", true, true);
	round_trip(".trace", false, false);
}

static void round_trip_gzip(void **state)
{
	(void)state;
	round_trip(".trace.gz", true, false);
	round_trip(".trace.gz", false, true);
}

/* An empty initial bitmap is a `p` line with no ranges: all zero. */
static void empty_initial(void **state)
{
	char *path = tmp_path(".trace"), err[512];
	trace_writer *w = trace_writer_open(path, &small_info, err, sizeof(err));
	mplm_bitmap *b = mplm_bitmap_new(small_info.pages);
	struct read_result res;
	(void)state;

	assert_int_equal(trace_writer_initial(w, b), 0);
	assert_int_equal(trace_writer_close(w, TRACE_NO_END, err, sizeof(err)), 0);
	read_path(path, &res);
	assert_int_equal(res.status, 0);
	assert_false(res.initial_null);
	assert_int_equal(res.initial_count, 0);
	mplm_bitmap_free(b);
	drop_tmp(path);
}

static void write_error_at_close(void **state)
{
	char err[512];
	trace_writer *w = trace_writer_open("/dev/full", &small_info, err, sizeof(err));
	mplm_bitmap *b = mplm_bitmap_new(small_info.pages);
	(void)state;

	assert_non_null(w);
	mplm_bitmap_fill(b);
	trace_writer_interval(w, 1, b);
	assert_int_equal(trace_writer_close(w, 2, err, sizeof(err)), -1);
	assert_string_equal(err, "/dev/full: write error: No space left on device");
	mplm_bitmap_free(b);

	/* Many intervals: the error shows while writing and sticks. */
	w = trace_writer_open("/dev/full", &small_info, err, sizeof(err));
	b = mplm_bitmap_new(small_info.pages);
	for (uint64_t i = 0; i < small_info.pages; i += 2)
		mplm_bitmap_set(b, i);
	int r = 0;
	for (unsigned k = 1; k <= 1000 && r == 0; k++)
		r = trace_writer_interval(w, k, b);
	assert_int_equal(r, -1);
	assert_int_equal(trace_writer_error(w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No space left on device"));
	assert_int_equal(trace_writer_close(w, TRACE_NO_END, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No space left on device"));
	mplm_bitmap_free(b);
}

static void open_errors(void **state)
{
	char err[512];
	struct trace_info bad = small_info;
	(void)state;

	assert_null(trace_writer_open("/nonexistent/dir/x.trace", &small_info,
				      err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/dir/x.trace: cannot open for writing: No such file or directory");
	bad.page_size = 3000;
	assert_null(trace_writer_open("/dev/null", &bad, err, sizeof(err)));
	assert_string_equal(err, "/dev/null: page size is not a power of two");
	bad = small_info;
	bad.pages = 0;
	assert_null(trace_writer_open("/dev/null", &bad, err, sizeof(err)));
	assert_non_null(strstr(err, "pages must be at least 1"));
}

/* The writer refuses what the reader would reject; the first error is
 * kept and close reports it. */
static void writer_checks(void **state)
{
	char err[512];
	mplm_bitmap *b = mplm_bitmap_new(small_info.pages);
	mplm_bitmap *small = mplm_bitmap_new(10);
	mplm_bitmap *big = mplm_bitmap_new(2000);
	trace_writer *w;
	(void)state;

	w = trace_writer_open("/dev/null", &small_info, err, sizeof(err));
	assert_int_equal(trace_writer_interval(w, 5, b), 0);
	assert_int_equal(trace_writer_interval(w, 5, b), -1);
	assert_int_equal(trace_writer_interval(w, 6, b), -1); /* sticks */
	assert_int_equal(trace_writer_close(w, TRACE_NO_END, err, sizeof(err)), -1);
	assert_string_equal(err, "/dev/null: d time 5 does not increase (previous 5)");

	w = trace_writer_open("/dev/null", &small_info, err, sizeof(err));
	assert_int_equal(trace_writer_interval(w, 5, b), 0);
	assert_int_equal(trace_writer_initial(w, b), -1);
	assert_int_equal(trace_writer_close(w, TRACE_NO_END, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "p line after a d"));

	w = trace_writer_open("/dev/null", &small_info, err, sizeof(err));
	assert_int_equal(trace_writer_interval(w, 5, b), 0);
	assert_int_equal(trace_writer_close(w, 4, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "e time 4 is before the last d time 5"));

	w = trace_writer_open("/dev/null", &small_info, err, sizeof(err));
	assert_int_equal(trace_writer_interval(w, 5, small), -1);
	assert_int_equal(trace_writer_close(w, TRACE_NO_END, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "smaller than the trace"));

	w = trace_writer_open("/dev/null", &small_info, err, sizeof(err));
	mplm_bitmap_set(big, 5);
	assert_int_equal(trace_writer_interval(w, 5, big), 0); /* below pages: fine */
	mplm_bitmap_set(big, 1500);
	assert_int_equal(trace_writer_interval(w, 6, big), -1);
	assert_int_equal(trace_writer_close(w, TRACE_NO_END, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "page 1500 out of range (pages 1000)"));

	w = trace_writer_open("/dev/null", &small_info, err, sizeof(err));
	assert_int_equal(trace_writer_end(w, 9), 0);
	assert_int_equal(trace_writer_interval(w, 10, b), -1);
	assert_int_equal(trace_writer_close(w, TRACE_NO_END, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "d line after the e line"));

	mplm_bitmap_free(b);
	mplm_bitmap_free(small);
	mplm_bitmap_free(big);
}

/* A line break in a text value must not start a new line. */
static void text_with_newline(void **state)
{
	struct trace_info info = small_info;
	char *path = tmp_path(".trace"), err[512];
	(void)state;

	snprintf(info.workload, sizeof(info.workload), "two\nlines");
	trace_writer *w = trace_writer_open(path, &info, err, sizeof(err));
	assert_int_equal(trace_writer_close(w, 0, err, sizeof(err)), 0);
	trace_source *s = trace_open(path, err, sizeof(err));
	assert_non_null(s);
	assert_string_equal(trace_source_info(s)->workload, "two lines");
	trace_source_close(s);
	drop_tmp(path);
}

/* trace_writer_end, then close(TRACE_NO_END or the same time): one e line. */
static void end_then_close(void **state)
{
	char *path = tmp_path(".trace"), err[512];
	size_t len;
	(void)state;

	trace_writer *w = trace_writer_open(path, &small_info, err, sizeof(err));
	assert_int_equal(trace_writer_end(w, 77), 0);
	assert_int_equal(trace_writer_close(w, 77, err, sizeof(err)), 0);
	char *raw = read_whole(path, &len);
	assert_true(len > 6);
	assert_memory_equal(raw + len - 5, "e 77\n", 5);
	assert_null(memmem(raw, len - 5, "e 77", 4));
	free(raw);
	drop_tmp(path);
}

static void copy_and_compare(const char *in, const char *suffix)
{
	char *out = tmp_path(suffix), err[512];
	trace_source *s = trace_open(in, err, sizeof(err));
	struct read_result a, b;

	if (!s)
		fail_msg("%s", err);
	trace_writer *w = trace_writer_open(out, trace_source_info(s), err, sizeof(err));
	assert_non_null(w);
	if (trace_copy(s, w, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(trace_writer_close(w, TRACE_NO_END, err, sizeof(err)), 0);
	trace_source_close(s);

	read_path(in, &a);
	read_path(out, &b);
	assert_int_equal(a.status, 0);
	assert_int_equal(b.status, 0);
	assert_int_equal(a.intervals, b.intervals);
	assert_int_equal(a.end_us, b.end_us);
	assert_int_equal(a.hash, b.hash);
	assert_int_equal(a.initial_null, b.initial_null);
	assert_int_equal(a.initial_count, b.initial_count);
	drop_tmp(out);
}

static void copy_small(void **state)
{
	static const char *const texts[] = {
		"mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100\np 0-9\nd 100 0-3 8\nd 200\nd 300 2 12-15\ne 350\n",
		"mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100\nd 100 1\n",
		"mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100\np\n",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *in = write_tmp_str(texts[i]);
		copy_and_compare(in, ".trace");
		copy_and_compare(in, ".trace.gz");
		drop_tmp(in);
	}
}

/* A real trace: copy NPB MG to gzip and back. */
static void copy_npb(void **state)
{
	(void)state;

	const char *in = NPB_TRACE_DIR "/npb-mg.B.trace.gz";
	copy_and_compare(in, ".trace.gz");
	copy_and_compare(in, ".trace");
}

/* A failing source: trace_copy passes its error on. */
static void copy_source_error(void **state)
{
	char *in = write_tmp_str("mplm-trace 1\npage-size 4096\npages 16\ninterval-us 100\nd 100 1\nd 50 2\n");
	char err[512];
	trace_source *s = trace_open(in, err, sizeof(err));
	trace_writer *w = trace_writer_open("/dev/null", trace_source_info(s), err, sizeof(err));
	(void)state;

	assert_int_equal(trace_copy(s, w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":6: d time 50 does not increase"));
	trace_writer_close(w, TRACE_NO_END, err, sizeof(err));
	trace_source_close(s);
	drop_tmp(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_plain),
		cmocka_unit_test(round_trip_gzip),
		cmocka_unit_test(empty_initial),
		cmocka_unit_test(write_error_at_close),
		cmocka_unit_test(open_errors),
		cmocka_unit_test(writer_checks),
		cmocka_unit_test(text_with_newline),
		cmocka_unit_test(end_then_close),
		cmocka_unit_test(copy_small),
		cmocka_unit_test(copy_npb),
		cmocka_unit_test(copy_source_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

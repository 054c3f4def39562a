/*
 * test_npb.c - the real NPB traces in workloads/traces/npb parse to the
 * figures of their README, and rewind replays them identically.
 */
#include "wl_test.h"


struct npb {
	const char *file;
	uint64_t pages, nonzero, intervals, distinct, peak, end_us;
};

/* From traces/npb/README.md (end times: the e lines). */
static const struct npb traces[] = {
	{ "npb-mg.B.trace.gz", 112657, 31, 73, 110561, 83995, 7291917 },
	{ "npb-is.B.trace.gz", 69725, 22, 45, 67607, 32800, 4450517 },
	{ "npb-sp.B.trace.gz", 48958, 33, 698, 47164, 36559, 69735793 },
	{ "npb-bt.B.trace.gz", 46558, 34, 1202, 44478, 33834, 120137692 },
};

static void check_trace(const struct npb *want)
{
	char path[1024], err[1024];

	snprintf(path, sizeof(path), NPB_TRACE_DIR "/%s", want->file);
	trace_source *s = trace_open(path, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	const struct trace_info *info = trace_source_info(s);
	assert_int_equal(info->pages, want->pages);
	assert_int_equal(info->page_size, 4096);
	assert_int_equal(info->interval_us, 100000);
	assert_int_equal(strncmp(info->workload, want->file, strlen(info->workload)), 0);
	assert_int_equal(mplm_bitmap_count(trace_source_initial(s)), want->nonzero);

	mplm_bitmap *iv = mplm_bitmap_new(info->pages), *all = mplm_bitmap_new(info->pages);
	uint64_t t, n, k = 0, peak = 0, hash = 1;
	int r;
	while ((r = trace_source_next(s, iv, &t, &n)) > 0) {
		k++;
		peak = n > peak ? n : peak;
		hash = hash_interval(hash, iv, t);
		mplm_bitmap_or(all, iv);
		mplm_bitmap_zero(iv);
	}
	if (r < 0)
		fail_msg("%s", trace_source_error(s));
	assert_int_equal(k, want->intervals);
	assert_int_equal(mplm_bitmap_count(all), want->distinct);
	assert_int_equal(peak, want->peak);
	assert_int_equal(t, want->end_us);

	struct read_result again;
	assert_int_equal(trace_source_rewind(s), 0);
	read_source(s, &again);
	assert_int_equal(again.status, 0);
	assert_int_equal(again.intervals, want->intervals);
	assert_int_equal(again.end_us, want->end_us);
	/* read_source hashes from its own seed: compare with a second rewind. */
	struct read_result third;
	assert_int_equal(trace_source_rewind(s), 0);
	read_source(s, &third);
	assert_int_equal(third.hash, again.hash);

	mplm_bitmap_free(iv);
	mplm_bitmap_free(all);
	trace_source_close(s);
}

static void npb_mg(void **state) { (void)state; check_trace(&traces[0]); }
static void npb_is(void **state) { (void)state; check_trace(&traces[1]); }
static void npb_sp(void **state) { (void)state; check_trace(&traces[2]); }
static void npb_bt(void **state) { (void)state; check_trace(&traces[3]); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(npb_mg),
		cmocka_unit_test(npb_is),
		cmocka_unit_test(npb_sp),
		cmocka_unit_test(npb_bt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_gen.c - the workload generators: exact rates, the working set,
 * determinism and rewind, each pattern's shape, spec parsing.
 */
#include "wl_test.h"

#include <inttypes.h>
#include <math.h>

#include "guests/wl_seq.h"

static trace_source *open_spec(const char *spec)
{
	char err[512];
	trace_source *s = gen_open(spec, err, sizeof(err));

	if (!s)
		fail_msg("%s", err);
	return s;
}

static void read_spec(const char *spec, struct read_result *res)
{
	trace_source *s = open_spec(spec);

	read_source(s, res);
	assert_int_equal(res->status, 0);
	trace_source_close(s);
}

/* Every interval: the count (exactly per_interval, or at most that for
 * patterns whose writes repeat pages), only working-set pages, times on
 * the interval grid; the working set is the initial non-zero set. */
static void check_shape_of(const char *spec, uint64_t pages, uint64_t wss,
			   uint64_t per_interval, uint64_t intervals, bool exact)
{
	trace_source *s = open_spec(spec);
	const struct trace_info *info = trace_source_info(s);
	mplm_bitmap *b = mplm_bitmap_new(info->pages);
	uint64_t t, n, k = 0;

	assert_int_equal(info->pages, pages);
	assert_int_equal(info->page_size, 4096);
	assert_int_equal(info->interval_us, 100000);
	assert_string_equal(info->workload, spec);
	const mplm_bitmap *ini = trace_source_initial(s);
	assert_non_null(ini);
	assert_int_equal(mplm_bitmap_count(ini), wss);
	assert_int_equal(mplm_bitmap_find_next_set(ini, wss), pages);
	while (trace_source_next(s, b, &t, &n) > 0) {
		k++;
		assert_int_equal(t, k * 100000);
		if (exact)
			assert_int_equal(n, per_interval);
		else
			assert_true(n > 0 && n <= per_interval);
		assert_int_equal(mplm_bitmap_count(b), n);
		assert_true(mplm_bitmap_find_next_set(b, wss) == pages);
		mplm_bitmap_zero(b);
	}
	assert_int_equal(k, intervals);
	assert_int_equal(t, intervals * 100000);
	mplm_bitmap_free(b);
	trace_source_close(s);
}

static void check_shape(const char *spec, uint64_t pages, uint64_t wss,
			uint64_t per_interval, uint64_t intervals)
{
	check_shape_of(spec, pages, wss, per_interval, intervals, true);
}

static void uniform_shape(void **state)
{
	(void)state;
	check_shape("uniform,memory=64M,wss=32M,rate=20000,duration=3", 16384, 8192, 2000, 30);
	/* Denser than half the working set: the complement path. */
	check_shape("uniform,memory=64M,wss=4M,rate=7000,duration=1", 16384, 1024, 700, 10);
}

static void sequential_shape(void **state)
{
	(void)state;
	check_shape("sequential,memory=64M,wss=32M,rate=33000,duration=3", 16384, 8192, 3300, 30);
}

static void hotspot_shape(void **state)
{
	(void)state;
	/* Hotspot writes repeat pages: at most `rate` distinct per second. */
	check_shape_of("hotspot,memory=64M,wss=32M,rate=20000,duration=3", 16384, 8192, 2000, 30, false);
	/* More per interval than the hot set holds. */
	check_shape_of("hotspot,memory=64M,wss=32M,rate=50000,duration=1,hot=0.1", 16384, 8192, 5000, 10, false);
}

static void stencil_shape(void **state)
{
	(void)state;
	check_shape("stencil,memory=64M,wss=32M,rate=20000,duration=3", 16384, 8192, 2000, 30);
	check_shape("stencil,memory=64M,wss=32M,rate=50000,duration=1,arrays=7", 16384, 8192, 5000, 10);
}

/* A rate that is not a whole number per interval: the carry keeps the
 * long-run rate exact; each interval is round(rate * interval) or next. */
static void fractional_rate(void **state)
{
	trace_source *s = open_spec("uniform,memory=1M,rate=15,duration=10");
	mplm_bitmap *b = mplm_bitmap_new(256);
	uint64_t t, n, total = 0;
	(void)state;

	while (trace_source_next(s, b, &t, &n) > 0) {
		assert_true(n == 1 || n == 2);
		total += n;
		mplm_bitmap_zero(b);
	}
	assert_int_equal(total, 150);
	mplm_bitmap_free(b);
	trace_source_close(s);

	struct read_result res;
	read_spec("sequential,pages=100000,rate=33333.3,duration=7.5", &res);
	assert_int_equal(res.intervals, 75);
	assert_int_equal(res.total, 250000); /* round(33333.3 * 7.5) */
	assert_int_equal(res.end_us, 7500000);
}

/* A duration that is not a whole number of intervals ends with a short
 * one; duration 0 has none. */
static void partial_last_interval(void **state)
{
	trace_source *s = open_spec("uniform,pages=1000,rate=1000,duration=0.25");
	mplm_bitmap *b = mplm_bitmap_new(1000);
	uint64_t t, n;
	(void)state;

	assert_int_equal(trace_source_next(s, b, &t, &n), 1);
	assert_int_equal(n, 100);
	assert_int_equal(trace_source_next(s, b, &t, &n), 1);
	assert_int_equal(trace_source_next(s, b, &t, &n), 1);
	assert_int_equal(t, 250000);
	assert_int_equal(n, 50);
	assert_int_equal(trace_source_next(s, b, &t, &n), 0);
	assert_int_equal(t, 250000);
	trace_source_close(s);

	struct read_result res;
	read_spec("uniform,pages=1000,rate=1000,duration=0", &res);
	assert_int_equal(res.intervals, 0);
	assert_int_equal(res.end_us, 0);
	mplm_bitmap_free(b);
}

/* More writes than the working set per interval: every page of it. */
static void rate_capped_at_wss(void **state)
{
	(void)state;
	check_shape("uniform,pages=1000,wss=400K,rate=1e7,duration=1", 1000, 100, 100, 10);
	check_shape("hotspot,pages=1000,wss=400K,rate=1e6,duration=1", 1000, 100, 100, 10);
	check_shape("sequential,pages=1000,wss=400K,rate=1e7,duration=1", 1000, 100, 100, 10);
	check_shape("stencil,pages=1000,wss=400K,rate=1e7,duration=1", 1000, 100, 100, 10);
}

static void interval_and_page_size_keys(void **state)
{
	trace_source *s = open_spec("uniform,memory=1G,page-size=2M,rate=10,interval=250,duration=1");
	const struct trace_info *info = trace_source_info(s);
	struct read_result res;
	(void)state;

	assert_int_equal(info->page_size, 2 << 20);
	assert_int_equal(info->pages, 512);
	assert_int_equal(info->interval_us, 250000);
	read_source(s, &res);
	assert_int_equal(res.intervals, 4);
	assert_int_equal(res.total, 10);
	trace_source_close(s);
}

static const char *const all_patterns[] = {
	"uniform,memory=256M,wss=128M,rate=30000,duration=5",
	"sequential,memory=256M,wss=128M,rate=30000,duration=5",
	"hotspot,memory=256M,wss=128M,rate=30000,duration=5",
	"stencil,memory=256M,wss=128M,rate=30000,duration=5",
};

/* Same spec, same intervals; rewind gives them again. */
static void deterministic_and_rewind(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct read_result a, b, c;
		trace_source *s = open_spec(all_patterns[i]);

		read_spec(all_patterns[i], &a);
		read_source(s, &b);
		assert_int_equal(trace_source_rewind(s), 0);
		read_source(s, &c);
		assert_int_equal(a.hash, b.hash);
		assert_int_equal(a.hash, c.hash);
		assert_int_equal(a.intervals, 50);

		/* Rewind from the middle too. */
		mplm_bitmap *bm = mplm_bitmap_new(a.pages);
		uint64_t t, n;
		for (int k = 0; k < 7; k++)
			trace_source_next(s, bm, &t, &n);
		assert_int_equal(trace_source_rewind(s), 0);
		read_source(s, &c);
		assert_int_equal(a.hash, c.hash);
		mplm_bitmap_free(bm);
		trace_source_close(s);
	}
}

/* Deferred intervals (trace_source_next_count, _fill_last): counted
 * without their pages, made after if asked, they are the intervals
 * trace_source_next gives, and what follows does not change (whether
 * they were made, once or twice, or not); uniform on
 * one and on three vCPUs (skipping whole permutation blocks and the
 * tails around them), at rates below and above a whole pass per interval.
 * Hotspot cannot defer (its count needs the pages). */
static void deferred_intervals_are_the_same(void **state)
{
	static const char *const specs[] = {
		"uniform,pages=5000,wss=16M,rate=9000,duration=8,seed=3",
		"uniform,pages=70000,wss=250M,rate=900000,duration=2,seed=4,vcpus=3,interval=30",
		"uniform,pages=300,wss=1M,rate=5000,duration=8,seed=5",
		"sequential,pages=5000,wss=12M,rate=7000,duration=8,seed=1",
		"stencil,pages=6000,wss=20M,rate=40000,duration=8,seed=2,arrays=4,vcpus=2",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		trace_source *a = open_spec(specs[i]), *b = open_spec(specs[i]);
		uint64_t pages = trace_source_info(a)->pages, ta, tb, na, nb;
		mplm_bitmap *ba = mplm_bitmap_new(pages), *bb = mplm_bitmap_new(pages);
		int ra, rb, k = 0;
		assert_true(trace_source_can_defer(b));
		assert_true(trace_source_writable(b) <= pages);
		do {
			ra = trace_source_next(a, ba, &ta, &na);
			/* In turn: deferred and never made, deferred and made,
			 * deferred and made twice, deferred and never made,
			 * read whole: a skipped interval is followed by a
			 * deferred one and by a whole read (each catches up). */
			enum { SKIPPED, MADE, TWICE, SKIPPED_BEFORE_WHOLE, WHOLE } way = k % 5;
			unsigned fills = way == MADE ? 1 : way == TWICE ? 2 : 0;
			rb = way == WHOLE ? trace_source_next(b, bb, &tb, &nb)
					  : trace_source_next_count(b, &tb, &nb);
			for (unsigned f = 0; rb > 0 && f < fills; f++)
				assert_int_equal(trace_source_fill_last(b, bb), 0);
			assert_int_equal(ra, rb);
			assert_int_equal(ta, tb);
			assert_int_equal(na, nb);
			if (rb > 0 && (fills || way == WHOLE)) {
				assert_memory_equal(mplm_bitmap_cwords(ba), mplm_bitmap_cwords(bb),
						    mplm_bitmap_nwords(ba) * 8);
				assert_true(mplm_bitmap_find_next_set(ba, trace_source_writable(b)) >= pages);
			}
			mplm_bitmap_zero(ba);
			mplm_bitmap_zero(bb);
			k++;
		} while (ra > 0);
		assert_true(k > 50);
		mplm_bitmap_free(ba);
		mplm_bitmap_free(bb);
		trace_source_close(a);
		trace_source_close(b);
	}
	trace_source *h = open_spec("hotspot,pages=100,rate=10,duration=1,seed=1");
	uint64_t t, n;
	assert_false(trace_source_can_defer(h));
	assert_int_equal(trace_source_next_count(h, &t, &n), -1);
	assert_non_null(strstr(trace_source_error(h), "cannot count"));
	trace_source_close(h);
}

/* fill_last makes only the interval just given, deferred: after a
 * whole read, or a rewind, there is none (an older one would be made). */
static void fill_last_needs_the_last_interval_deferred(void **state)
{
	(void)state;
	for (int rewind = 0; rewind < 2; rewind++) {
		trace_source *s = open_spec("sequential,pages=5000,wss=12M,rate=7000,duration=8,seed=1");
		mplm_bitmap *bm = mplm_bitmap_new(trace_source_info(s)->pages);
		uint64_t t, n;
		assert_int_equal(trace_source_next_count(s, &t, &n), 1);
		assert_int_equal(trace_source_fill_last(s, bm), 0);
		assert_int_equal(trace_source_next_count(s, &t, &n), 1);
		if (rewind)
			assert_int_equal(trace_source_rewind(s), 0);
		else
			assert_int_equal(trace_source_next(s, bm, &t, &n), 1);
		assert_int_equal(trace_source_fill_last(s, bm), -1);
		assert_non_null(strstr(trace_source_error(s), "no deferred interval"));
		mplm_bitmap_free(bm);
		trace_source_close(s);
	}
}

static void seed_changes_random_patterns(void **state)
{
	struct read_result a, b;
	(void)state;

	read_spec("uniform,memory=64M,rate=1000,duration=1,seed=1", &a);
	read_spec("uniform,memory=64M,rate=1000,duration=1,seed=2", &b);
	assert_int_not_equal(a.hash, b.hash);
	read_spec("hotspot,memory=64M,rate=1000,duration=1,seed=1", &a);
	read_spec("hotspot,memory=64M,rate=1000,duration=1,seed=2", &b);
	assert_int_not_equal(a.hash, b.hash);
}

/* The pages do not depend on what the caller's bitmap already holds. */
static void independent_of_caller_bits(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		trace_source *clean = open_spec(all_patterns[i]);
		trace_source *dirty = open_spec(all_patterns[i]);
		uint64_t pages = trace_source_info(clean)->pages;
		mplm_bitmap *a = mplm_bitmap_new(pages), *b = mplm_bitmap_new(pages);
		mplm_bitmap *pre = mplm_bitmap_new(pages);
		uint64_t t1, t2, n1, n2;

		for (uint64_t p = 0; p < pages; p += 13)
			mplm_bitmap_set(pre, p);
		for (int k = 0; k < 10; k++) {
			mplm_bitmap_zero(a);
			mplm_bitmap_zero(b);
			mplm_bitmap_or(b, pre);
			assert_int_equal(trace_source_next(clean, a, &t1, &n1), 1);
			assert_int_equal(trace_source_next(dirty, b, &t2, &n2), 1);
			assert_int_equal(n1, n2);
			assert_int_equal(t1, t2);
			mplm_bitmap_or(a, pre);
			assert_memory_equal(mplm_bitmap_cwords(a), mplm_bitmap_cwords(b),
					    mplm_bitmap_nwords(a) * sizeof(uint64_t));
		}
		mplm_bitmap_free(a);
		mplm_bitmap_free(b);
		mplm_bitmap_free(pre);
		trace_source_close(clean);
		trace_source_close(dirty);
	}
}

/* Uniform: over many intervals every page is about equally likely. */
static void uniform_is_uniform(void **state)
{
	trace_source *s = open_spec("uniform,pages=1000,rate=1000,duration=100");
	mplm_bitmap *b = mplm_bitmap_new(1000);
	unsigned hits[10] = { 0 };
	uint64_t t, n;
	(void)state;

	while (trace_source_next(s, b, &t, &n) > 0) {
		for (uint64_t p = mplm_bitmap_find_next_set(b, 0); p < 1000;
		     p = mplm_bitmap_find_next_set(b, p + 1))
			hits[p / 100]++;
		mplm_bitmap_zero(b);
	}
	for (int i = 0; i < 10; i++) /* expected 10,000 each, sd ~ 95 */
		assert_true(hits[i] > 9500 && hits[i] < 10500);
	mplm_bitmap_free(b);
	trace_source_close(s);
}

/* Hotspot: a fraction skew of the writes go to the hot part, the first
 * hot * S pages of the share (wl_seq.h); the generator writes what the
 * sequence says (matches_guest_writes). */
static void hotspot_skew(void **state)
{
	static const struct {
		const char *spec;
		uint64_t hot_pages;
		double skew;
	} cases[] = {
		{ "hotspot,pages=100000,rate=10000", 20000, 0.8 },
		{ "hotspot,pages=100000,wss=200M,rate=10000,hot=0.1,skew=0.6", 5120, 0.6 },
		{ "hotspot,pages=100000,rate=10000,skew=0", 20000, 0.0 },
		{ "hotspot,pages=100000,rate=10000,skew=1", 20000, 1.0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gen_spec g;
		struct kl_params kp = { 0 };
		struct wl_seq seq;
		char err[256];
		uint64_t hot = 0, writes = 100000;

		assert_int_equal(gen_parse(cases[i].spec, &g, err, sizeof(err)), 0);
		gen_guest_params(&g, &kp);
		wl_seq_init(&seq, &kp, 0);
		assert_int_equal(seq.hot_pages, cases[i].hot_pages);
		for (uint64_t k = 0; k < writes; k++) {
			uint64_t p = wl_seq_next(&seq);
			assert_true(p < g.wss_pages);
			hot += p < cases[i].hot_pages;
		}
		double frac = (double)hot / (double)writes;
		assert_true(frac > cases[i].skew - 0.01 && frac < cases[i].skew + 0.01);
	}
}

/* Sequential: each interval continues where the last one stopped,
 * wrapping at the end of the working set. */
static void sequential_sweeps(void **state)
{
	trace_source *s = open_spec("sequential,pages=1000,wss=400K,rate=300,duration=1");
	mplm_bitmap *b = mplm_bitmap_new(1000), *want = mplm_bitmap_new(1000);
	uint64_t t, n, cursor = 0;
	(void)state;

	while (trace_source_next(s, b, &t, &n) > 0) {
		assert_int_equal(n, 30);
		mplm_bitmap_zero(want);
		for (uint64_t i = 0; i < n; i++)
			mplm_bitmap_set(want, (cursor + i) % 100);
		cursor = (cursor + n) % 100;
		assert_memory_equal(mplm_bitmap_cwords(b), mplm_bitmap_cwords(want),
				    mplm_bitmap_nwords(b) * sizeof(uint64_t));
		mplm_bitmap_zero(b);
	}
	mplm_bitmap_free(b);
	mplm_bitmap_free(want);
	trace_source_close(s);
}

/* Stencil: 100 pages in 3 arrays, [0,34) [34,67) [67,100); chunks of a
 * tenth of a second's writes (10 at rate 100, one interval here): interval
 * k writes a chunk of array k mod 3, each array swept from where its last
 * chunk ended. */
static void stencil_moves_between_arrays(void **state)
{
	trace_source *s = open_spec("stencil,pages=100,rate=100,duration=2");
	static const uint64_t base[3] = { 0, 34, 67 }, len[3] = { 34, 33, 33 };
	uint64_t off[3] = { 0, 0, 0 }, t, n;
	mplm_bitmap *b = mplm_bitmap_new(100), *want = mplm_bitmap_new(100);
	(void)state;

	for (unsigned k = 0; trace_source_next(s, b, &t, &n) > 0; k++) {
		unsigned a = k % 3;
		assert_int_equal(n, 10);
		mplm_bitmap_zero(want);
		for (uint64_t i = 0; i < n; i++)
			mplm_bitmap_set(want, base[a] + (off[a] + i) % len[a]);
		off[a] = (off[a] + n) % len[a];
		assert_memory_equal(mplm_bitmap_cwords(b), mplm_bitmap_cwords(want),
				    mplm_bitmap_nwords(b) * sizeof(uint64_t));
		mplm_bitmap_zero(b);
	}
	mplm_bitmap_free(b);
	mplm_bitmap_free(want);
	trace_source_close(s);
}

/* The generator's intervals are the distinct pages of the writes the
 * guest program makes (wl_seq.h, one write at a time) at the spec's rate:
 * every pattern, one vCPU and several, more writes than a share holds,
 * and a fractional rate per vCPU. */
static void matches_guest_writes(void **state)
{
	static const char *const specs[] = {
		"uniform,pages=5000,wss=12M,rate=20000,duration=3",
		"uniform,pages=5000,wss=12M,rate=20000,duration=3,vcpus=3",
		"uniform,pages=70000,rate=1e6,duration=1,vcpus=2",
		"uniform,pages=100,rate=1234.5,duration=2,seed=5",
		"sequential,pages=5000,wss=12M,rate=20000,duration=3,vcpus=3",
		"sequential,pages=500,rate=7777,duration=2",
		"hotspot,pages=5000,wss=12M,rate=20000,duration=3",
		"hotspot,pages=5000,rate=20000,duration=3,vcpus=4,hot=0.05,skew=0.95",
		"stencil,pages=5000,wss=12M,rate=20000,duration=3",
		"stencil,pages=5000,rate=33333,duration=3,vcpus=3,arrays=4",
		"stencil,pages=100,rate=5000,duration=1,arrays=1",
		"stencil,pages=1000,rate=2345,duration=2,arrays=7,interval=37",
		"stencil,pages=100,rate=1e6,duration=1,vcpus=2",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct gen_spec g;
		struct kl_params kp = { 0 };
		struct wl_seq seq[KL_MAX_VCPUS];
		char err[256];
		uint64_t t, n, done = 0;

		assert_int_equal(gen_parse(specs[i], &g, err, sizeof(err)), 0);
		gen_guest_params(&g, &kp);
		for (unsigned v = 0; v < g.vcpus; v++)
			wl_seq_init(&seq[v], &kp, v);
		trace_source *s = open_spec(specs[i]);
		mplm_bitmap *b = mplm_bitmap_new(g.pages), *want = mplm_bitmap_new(g.pages);
		while (trace_source_next(s, b, &t, &n) > 0) {
			uint64_t due = (uint64_t)llround(g.rate / g.vcpus * (double)t / 1e6);
			mplm_bitmap_zero(want);
			for (unsigned v = 0; v < g.vcpus; v++)
				for (uint64_t k = done; k < due; k++)
					mplm_bitmap_set(want, wl_seq_share_base(&kp, v) +
							      wl_seq_next(&seq[v]));
			done = due;
			assert_int_equal(n, mplm_bitmap_count(want));
			if (memcmp(mplm_bitmap_cwords(b), mplm_bitmap_cwords(want),
				   mplm_bitmap_nwords(b) * sizeof(uint64_t)) != 0)
				fail_msg("%s: interval ending at %" PRIu64 " us differs from the guest's writes",
					 specs[i], t);
			mplm_bitmap_zero(b);
		}
		mplm_bitmap_free(b);
		mplm_bitmap_free(want);
		trace_source_close(s);
	}
}

static void sizes(void **state)
{
	static const struct {
		const char *spec;
		uint64_t pages;
	} cases[] = {
		{ "uniform,memory=8G,rate=0", 2097152 },
		{ "uniform,memory=1g,rate=0", 262144 },
		{ "uniform,memory=512M,rate=0", 131072 },
		{ "uniform,memory=4096K,rate=0", 1024 },
		{ "uniform,memory=1GiB,rate=0", 262144 },
		{ "uniform,memory=2MB,rate=0", 512 },
		{ "uniform,memory=65536,rate=0", 16 },
		{ "uniform,memory=1T,rate=0,page-size=1G", 1024 },
		{ "uniform,pages=12345,rate=0", 12345 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		trace_source *s = open_spec(cases[i].spec);
		assert_int_equal(trace_source_info(s)->pages, cases[i].pages);
		trace_source_close(s);
	}
}

static void spec_errors(void **state)
{
	static const struct {
		const char *spec, *reason;
	} cases[] = {
		{ "", "unknown pattern ''" },
		{ "random,memory=1G,rate=1", "unknown pattern 'random'" },
		{ "uniform,memory=1G,rate=1,colour=red", "unknown key 'colour'" },
		{ "uniform,memory=1G,rate", "'rate' is not key=value" },
		{ "uniform,memory=1X,rate=1", "memory=1X: expected a size in bytes" },
		{ "uniform,memory=-1G,rate=1", "memory=-1G: expected a size" },
		{ "uniform,memory=99999999999999999999,rate=1", "expected a size" },
		{ "uniform,memory=16777216T,rate=1", "expected a size" },
		{ "uniform,memory=1000,rate=1", "memory 1000 is not a multiple of the page size 4096" },
		{ "uniform,rate=1", "memory (or pages) is required" },
		{ "uniform,memory=0,rate=1", "memory (or pages) is required" },
		{ "uniform,memory=1G,pages=5,rate=1", "give memory or pages, not both" },
		{ "uniform,memory=1G", "rate (page writes per second) is required" },
		{ "uniform,memory=1G,rate=-5", "rate=-5: expected a number" },
		{ "uniform,memory=1G,rate=5x", "rate=5x: expected a number" },
		{ "uniform,memory=1G,rate=inf", "rate=inf: expected a number" },
		{ "uniform,memory=1G,rate=1,rate=2", "key 'rate' given twice" },
		{ "uniform,memory=1G,wss=2G,rate=1", "wss is larger than the memory" },
		{ "uniform,memory=1G,wss=0,rate=1", "wss 0 is not a positive multiple" },
		{ "uniform,memory=1G,wss=5000,rate=1", "not a positive multiple of the page size" },
		{ "uniform,memory=1G,rate=1,page-size=3000", "page-size 3000 is not a power of two" },
		{ "uniform,memory=1G,rate=1,interval=0", "interval must be" },
		{ "uniform,memory=1G,rate=1,duration=1e12", "duration 1e+12 s is too long" },
		{ "uniform,memory=1G,rate=1e300", "rate x duration is above 1e+18 pages" },
		{ "uniform,memory=1G,rate=1,seed=x", "seed=x: expected a whole number" },
		{ "uniform,memory=1G,rate=1,hot=0.5", "key 'hot' is for the hotspot pattern only" },
		{ "sequential,memory=1G,rate=1,arrays=2", "key 'arrays' is for the stencil pattern only" },
		{ "hotspot,memory=1G,rate=1,hot=0", "hot must be a fraction in (0, 1]" },
		{ "hotspot,memory=1G,rate=1,hot=1.5", "hot must be a fraction" },
		{ "hotspot,memory=1G,rate=1,skew=1.01", "skew must be a fraction in [0, 1]" },
		{ "stencil,memory=1G,rate=1,arrays=0", "arrays must be between 1" },
		{ "stencil,pages=4,rate=1,arrays=5", "arrays must be between 1" },
		{ "stencil,pages=10,rate=1,arrays=4,vcpus=3", "arrays must be between 1 and the pages of a vCPU's share" },
		{ "hotspot,memory=1G,rate=1,hot=0.2345", "hot and skew go in steps of 0.001" },
		{ "hotspot,memory=1G,rate=1,skew=0.8001", "hot and skew go in steps of 0.001" },
		{ "uniform,memory=1G,rate=1,vcpus=0", "vcpus must be between 1 and 32" },
		{ "uniform,memory=1G,rate=1,vcpus=33", "vcpus must be between 1 and 32" },
		{ "uniform,pages=2,rate=1,vcpus=3", "wss must give every vCPU at least one page" },
		{ "uniform,pages=99999999999999,rate=1", "too many pages" },
	};
	char err[512], prefix[600];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		trace_source *s = gen_open(cases[i].spec, err, sizeof(err));
		if (s)
			fail_msg("accepted: %s", cases[i].spec);
		snprintf(prefix, sizeof(prefix), "workload %s: ", cases[i].spec);
		if (strncmp(err, prefix, strlen(prefix)) != 0 ||
		    !strstr(err, cases[i].reason))
			fail_msg("%s: expected \"%s\", got \"%s\"", cases[i].spec,
				 cases[i].reason, err);
	}
}

/* A generated trace written and read back is the same trace. */
static void write_and_read_back(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		char *path = tmp_path(".trace.gz"), err[512];
		trace_source *s = open_spec(all_patterns[i]);
		trace_writer *w = trace_writer_open(path, trace_source_info(s), err, sizeof(err));
		struct read_result a, b;

		assert_int_equal(trace_copy(s, w, err, sizeof(err)), 0);
		assert_int_equal(trace_writer_close(w, TRACE_NO_END, err, sizeof(err)), 0);
		trace_source_close(s);
		read_spec(all_patterns[i], &a);
		read_path(path, &b);
		assert_int_equal(b.status, 0);
		assert_int_equal(a.hash, b.hash);
		assert_int_equal(a.end_us, b.end_us);
		assert_int_equal(b.initial_count, a.initial_count);
		drop_tmp(path);
	}
}

/* gen_parse gives the checked spec, defaults included, that gen_open
 * replays: what kvmlite's guest programs are built from. */
static void parse_for_other_back_ends(void **state)
{
	(void)state;
	struct gen_spec g;
	char err[256];
	assert_int_equal(gen_parse("hotspot,memory=64M,wss=16M,rate=1500", &g, err,
				   sizeof(err)), 0);
	assert_string_equal(g.pattern, "hotspot");
	assert_int_equal(g.page_size, 4096);
	assert_int_equal(g.pages, 16384);
	assert_int_equal(g.wss_pages, 4096);
	assert_true(g.rate == 1500 && g.duration == 60 && g.interval_ms == 100);
	assert_true(g.hot == 0.2 && g.skew == 0.8);
	assert_int_equal(g.seed, 1);
	assert_int_equal(g.vcpus, 1);
	struct kl_params kp = { 0 };
	gen_guest_params(&g, &kp);
	assert_int_equal(kp.pattern, KL_PAT_HOTSPOT);
	assert_int_equal(kp.nvcpus, 1);
	assert_int_equal(kp.wss_pages, 4096);
	assert_int_equal(kp.rate, 1500);
	assert_int_equal(kp.hot_permille, 200);
	assert_int_equal(kp.skew_permille, 800);
	assert_int_equal(gen_parse("stencil,pages=300,arrays=5,rate=10,seed=9", &g,
				   err, sizeof(err)), 0);
	assert_int_equal(g.arrays, 5);
	assert_int_equal(g.wss_pages, 300);
	assert_int_equal(g.seed, 9);
	assert_int_equal(gen_parse("uniform,memory=64M,duration=abc,rate=1", &g, err,
				   sizeof(err)), -1);
	assert_non_null(strstr(err, "duration=abc: expected a duration"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uniform_shape),
		cmocka_unit_test(sequential_shape),
		cmocka_unit_test(hotspot_shape),
		cmocka_unit_test(stencil_shape),
		cmocka_unit_test(fractional_rate),
		cmocka_unit_test(partial_last_interval),
		cmocka_unit_test(rate_capped_at_wss),
		cmocka_unit_test(interval_and_page_size_keys),
		cmocka_unit_test(deterministic_and_rewind),
		cmocka_unit_test(deferred_intervals_are_the_same),
		cmocka_unit_test(fill_last_needs_the_last_interval_deferred),
		cmocka_unit_test(seed_changes_random_patterns),
		cmocka_unit_test(independent_of_caller_bits),
		cmocka_unit_test(uniform_is_uniform),
		cmocka_unit_test(hotspot_skew),
		cmocka_unit_test(sequential_sweeps),
		cmocka_unit_test(stencil_moves_between_arrays),
		cmocka_unit_test(matches_guest_writes),
		cmocka_unit_test(sizes),
		cmocka_unit_test(spec_errors),
		cmocka_unit_test(write_and_read_back),
		cmocka_unit_test(parse_for_other_back_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

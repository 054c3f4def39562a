/*
 * test_workload_match.c - one spec, one workload: a real guest built from
 * a spec (gen_parse + gen_guest_params, as mplm-exp's backend = kvm does)
 * is recorded through KVM's dirty log (what `run --record-trace` does),
 * and the simulator's generator is run on the same spec. For uniform,
 * hotspot and sequential guests (one vCPU and two):
 *
 *  - the union of the working-set pages the dirty log reported is exactly
 *    the pages of the writes the guest made, taken from the shared
 *    sequence (wl_seq.h) for as many writes as the guest reports: the
 *    guest wrote what the generator's sequence says;
 *  - the mean dirty pages per 100 ms interval of the recording is within
 *    5 % of the generator's at the rate the guest achieved (see
 *    MEAN_TOLERANCE for why 5 %).
 *
 * Rates are far below what these machines sustain (10,000 page writes/s
 * against ~148,000, or ~67,000 for first touches), and nothing is timed: on a loaded host a guest that
 * is descheduled writes less, and the generator is asked for what it
 * achieved.
 */
#include "kltest.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"
#include "guests/wl_seq.h"
#include "trace.h"
#include "trace_rec.h"

/* 30,000 writes over 61,440 pages: the union of the pages written says
 * which writes were made, not just that the working set was covered. */
#define MEM (256 << 20)
#define WSS_PAGES 61440 /* 240 MiB */
#define RATE 10000      /* page writes/s */
#define SECONDS 3
#define INTERVAL 0.1

/* The recording's intervals are read on the host's clock and the guest
 * paces itself in batches of up to 64 writes a millisecond ahead, so one
 * interval can hold a few ms more or less of writes than the next; over
 * the ~25 middle intervals compared that evens out to well under 1 %.
 * What remains is the guest's rate changing during the run (a vCPU
 * descheduled for more than 50 ms drops that time instead of catching up,
 * so a loaded host makes some intervals lighter than the run's mean) and,
 * for hotspot, the distinct count's curvature in the number of writes.
 * 5 % covers both; a generator that counted writes instead of distinct
 * pages (12-27 % more for the hotspot cases here) does not pass. */
#define MEAN_TOLERANCE 0.05

struct recording {
	struct gen_spec spec;
	struct kl_params p;
	uint64_t writes[KL_MAX_VCPUS];
	double seconds;      /* first vCPU start to last vCPU end */
	char path[64];
};

/* Run the guest for spec, recording its dirty log. */
static void record(const char *spec, struct recording *r)
{
	struct kl_config cfg;
	struct kl_tracer *t;
	struct kl_err e;
	char err[512];

	memset(r, 0, sizeof(*r));
	if (gen_parse(spec, &r->spec, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	kltest_config(&cfg, MEM, r->spec.vcpus);
	kltest_params(&r->p, 0, 0, 0, 0);
	gen_guest_params(&r->spec, &r->p);
	r->p.duration_ms = (uint64_t)llround(r->spec.duration * 1000);
	snprintf(r->path, sizeof(r->path), "/tmp/kltest-match-%d.gz", (int)getpid());
	struct kl_vm *vm = kltest_vm(&cfg, &r->p);
	if (kl_trace_start(vm, r->path, INTERVAL, &t, &e) < 0)
		fail_msg("%s", e.msg);
	kltest_run_to_end(vm, 60);
	if (kl_trace_stop(t, &e) < 0)
		fail_msg("%s", e.msg);
	kl_trace_free(t);
	const struct kl_params *gp = kl_gpa(vm, KL_PARAMS_GPA);
	uint64_t start = UINT64_MAX, end = 0;
	for (unsigned v = 0; v < r->spec.vcpus; v++) {
		const struct kl_status *st = kl_vm_status(vm, v);
		r->writes[v] = st->writes;
		start = st->tsc_start < start ? st->tsc_start : start;
		end = st->tsc_end > end ? st->tsc_end : end;
	}
	r->seconds = (double)(end - start) / ((double)gp->tsc_khz * 1000);
	kl_vm_destroy(vm);
}

/* The working set's pages of interval bits b, as page numbers from 0. */
static uint64_t ws_count(const mplm_bitmap *b)
{
	uint64_t n = 0, first = KL_DATA_GPA >> 12;
	for (uint64_t p = mplm_bitmap_find_next_set(b, first); p < first + WSS_PAGES;
	     p = mplm_bitmap_find_next_set(b, p + 1))
		n++;
	return n;
}

/* The recording: union of working-set pages (relative to the working
 * set) and the mean over the intervals while the guest wrote: the
 * recording also spans the VM's start and the guest's final memory hash,
 * which write nothing, and the first and last intervals that hold writes
 * are partial, so those are left out. */
static double read_recording(const struct recording *r, mplm_bitmap *all)
{
	char err[512];
	trace_source *s = trace_open(r->path, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	const struct trace_info *info = trace_source_info(s);
	mplm_bitmap *b = mplm_bitmap_new(info->pages);
	uint64_t t, n, counts[256];
	int k = 0, rc;
	while ((rc = trace_source_next(s, b, &t, &n)) > 0) {
		if (k < 256)
			counts[k++] = ws_count(b);
		for (uint64_t p = 0; p < WSS_PAGES; p++)
			if (mplm_bitmap_test(b, (KL_DATA_GPA >> 12) + p))
				mplm_bitmap_set(all, p);
		mplm_bitmap_zero(b);
	}
	assert_int_equal(rc, 0);
	mplm_bitmap_free(b);
	trace_source_close(s);
	int first = 0, last = k - 1;
	while (first < k && counts[first] == 0)
		first++;
	while (last > first && counts[last] == 0)
		last--;
	if (last - first < 10)
		fail_msg("%s: writes in %d intervals of a %d s run", r->path,
			 last - first + 1, SECONDS);
	double sum = 0;
	for (int i = first + 1; i < last; i++)
		sum += (double)counts[i];
	return sum / (last - first - 1);
}

/* The pages of the guest's writes, from the shared sequence. */
static void sequence_union(const struct recording *r, mplm_bitmap *want)
{
	for (unsigned v = 0; v < r->spec.vcpus; v++) {
		struct wl_seq s;
		wl_seq_init(&s, &r->p, v);
		uint64_t base = wl_seq_share_base(&r->p, v);
		for (uint64_t k = 0; k < r->writes[v]; k++)
			mplm_bitmap_set(want, base + wl_seq_next(&s));
	}
}

/* The generator's mean distinct pages per interval, for spec at rate. */
static double generator_mean(const char *spec, double rate)
{
	char full[512], err[512];
	snprintf(full, sizeof(full), "%s,rate=%.1f", spec, rate);
	trace_source *s = gen_open(full, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	mplm_bitmap *b = mplm_bitmap_new(trace_source_info(s)->pages);
	uint64_t t, n, sum = 0, k = 0;
	while (trace_source_next(s, b, &t, &n) > 0) {
		sum += n;
		k++;
		mplm_bitmap_zero(b);
	}
	mplm_bitmap_free(b);
	trace_source_close(s);
	if (k == 0) /* else the mean is NaN, and "fabs(NaN) > tolerance" is false */
		fail_msg("%s: the generator gave no intervals", full);
	return (double)sum / (double)k;
}

static void check_pattern(const char *base_spec)
{
	char spec[512];
	struct recording r;

	snprintf(spec, sizeof(spec), "%s,rate=%d", base_spec, RATE);
	record(spec, &r);
	mplm_bitmap *got = mplm_bitmap_new(WSS_PAGES), *want = mplm_bitmap_new(WSS_PAGES);
	double mean = read_recording(&r, got);
	unlink(r.path);
	sequence_union(&r, want);
	uint64_t total = 0;
	for (unsigned v = 0; v < r.spec.vcpus; v++)
		total += r.writes[v];
	if (memcmp(mplm_bitmap_cwords(got), mplm_bitmap_cwords(want),
		   mplm_bitmap_nwords(got) * sizeof(uint64_t)) != 0)
		fail_msg("%s: the dirty log's %" PRIu64 " pages are not the %" PRIu64
			 " pages of the sequence's first %" PRIu64 " writes",
			 spec, mplm_bitmap_count(got), mplm_bitmap_count(want), total);

	double achieved = (double)total / r.seconds;
	double gen = generator_mean(base_spec, achieved);
	printf("%s: %" PRIu64 " writes in %.2f s (%.0f/s); dirty pages per interval: "
	       "guest %.1f, generator %.1f (%+.1f %%)\n", spec, total, r.seconds,
	       achieved, mean, gen, (mean / gen - 1) * 100);
	if (fabs(mean / gen - 1) > MEAN_TOLERANCE)
		fail_msg("%s: the guest dirtied %.1f pages per interval, the generator %.1f at %.0f writes/s",
			 spec, mean, gen, achieved);
	mplm_bitmap_free(got);
	mplm_bitmap_free(want);
}

#define SPEC_TAIL "memory=256M,wss=240M,duration=3,seed=7"

static void test_uniform(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	check_pattern("uniform," SPEC_TAIL);
}

static void test_uniform_two_vcpus(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	check_pattern("uniform," SPEC_TAIL ",vcpus=2");
}

static void test_hotspot(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	check_pattern("hotspot," SPEC_TAIL ",hot=0.02");
}

static void test_hotspot_two_vcpus(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	check_pattern("hotspot," SPEC_TAIL ",vcpus=2,hot=0.05,skew=0.9");
}

static void test_sequential(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	check_pattern("sequential," SPEC_TAIL);
}

int main(void)
{
	kltest_init(300);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_uniform_two_vcpus),
		cmocka_unit_test(test_hotspot),
		cmocka_unit_test(test_hotspot_two_vcpus),
		cmocka_unit_test(test_sequential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

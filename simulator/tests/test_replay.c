/*
 * test_replay.c - when the guest's writes land (sim.c's file comment,
 * README "The guest's writes"). With spread replay (the default) page p
 * of trace interval n, (t0, t1], lands at the end of slice
 * j = floor(h K / 2^32) of K equal slices, K = ceil((t1 - t0) / 1 ms) in
 * whole microseconds (at least 1), h the top 32 bits of
 * (p ^ salt) x 0x9e3779b97f4a7c15 (mod 2^64), salt MurmurHash3's 64-bit
 * finaliser of n ^ 0x6d706c6d2d6c6162. The expected landing times below
 * are computed from
 * that rule, written out here again, and the runs are worked out by hand
 * from them: a pass shorter than an interval sees exactly the pages that
 * landed before its sync.
 *
 * The link carries 1024 pages/s (4096-byte pages, no header, no state,
 * free syncs, and a zero page's marker as long as a page): page i of the
 * first pass is sent from i / 1024 s after the start, so the 64 pages of the VM take 62.5 ms, less than the 100 ms
 * trace interval. Every time compared is at least 0.1 ms from a landing
 * time, so no rounding can flip a comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "classroom.h"
#include "sim.h"

#define PAGES 64
#define RATE (1024.0 * 4096)

/* The documented rule, written again. */
static double rule_landing(uint64_t page, uint64_t n, double t0, double t1)
{
	long long us = llround((t1 - t0) * 1e6);
	uint64_t k = us <= 1000 ? 1 : (uint64_t)(us + 999) / 1000;
	uint64_t salt = n ^ 0x6d706c6d2d6c6162ull;
	salt = (salt ^ (salt >> 33)) * 0xff51afd7ed558ccdull;
	salt = (salt ^ (salt >> 33)) * 0xc4ceb9fe1a85ec53ull;
	salt ^= salt >> 33;
	uint64_t h = ((page ^ salt) * 0x9e3779b97f4a7c15ull) >> 32;
	uint64_t j = (h * k) >> 32;
	return j + 1 == k ? t1 : t0 + (t1 - t0) * (double)(j + 1) / (double)k;
}

/* The classroom's costs (classroom.h) over the 1024 pages/s link, pre-copy
 * with a 1 ms downtime limit (4 pages): a sync reporting tens of pages
 * goes on. */
static void config(struct sim_config *c, const char *path, enum sim_replay replay)
{
	classroom_config(c, path, MPLM_ALG_PRECOPY);
	c->replay = replay;
	c->link_bandwidth = RATE;
	c->params.max_bandwidth = RATE;
	c->zero_page_bytes = 4096;
	c->params.downtime_limit = 0.001;
}

static void run(const struct sim_config *c, struct sim_result *r)
{
	if (sim_run(c, r) != 0)
		fail_msg("sim_run: %s", r->error);
	assert_int_equal(r->stats.status, MPLM_STATUS_COMPLETED);
	assert_true(r->verified);
	assert_int_equal(r->mismatches, 0);
	assert_true(r->nsyncs >= 2);
}

/* A spread replay of the trace `records` from `start`, whose sync 1
 * comes after the first 63 pages (see test_short_pass_sees_landed_pages).
 * A looping trace never stops writing: pre-copy stops after 3 syncs. */
static void run_spread(const char *records, double start, enum sim_at_end end,
		       struct sim_result *r)
{
	char path[CLASSROOM_PATH_LEN];
	classroom_write_trace(path, PAGES, 100000, records);
	struct sim_config c;
	config(&c, path, SIM_REPLAY_SPREAD);
	c.start_at = start;
	c.at_end = end;
	c.params.max_iterations = end == SIM_END_LOOP ? 3 : 0;
	run(&c, r);
	assert_true(r->syncs[1].time == 63.0 / 1024);
	unlink(path);
}

/* The simulator's rule is the documented one; it stays inside the
 * interval, on its 1 ms grid, and spreads the pages. */
static void test_rule(void **state)
{
	(void)state;
	unsigned slices_used = 0;
	bool used[100] = { false };
	for (uint64_t p = 0; p < 4096; p++) {
		double t = sim_landing_time(p, 3, 0.2, 0.3);
		assert_true(t == rule_landing(p, 3, 0.2, 0.3));
		assert_true(t > 0.2 && t <= 0.3);
		double slot = (t - 0.2) * 1000; /* 1 to 100 */
		assert_true(fabs(slot - round(slot)) < 1e-6);
		int j = (int)round(slot) - 1;
		assert_true(j >= 0 && j < 100);
		slices_used += !used[j];
		used[j] = true;
		/* A short last interval: 50 slices of 1 ms. */
		t = sim_landing_time(p, 4, 0.3, 0.35);
		assert_true(t == rule_landing(p, 4, 0.3, 0.35));
		assert_true(t > 0.3 && t <= 0.35);
		/* One slice or none: the interval's end. */
		assert_true(sim_landing_time(p, 5, 0.35, 0.3505) == 0.3505);
		assert_true(sim_landing_time(p, 6, 0.4, 0.4) == 0.4);
	}
	assert_int_equal(slices_used, 100);
	/* The interval's number matters: not the same times every interval. */
	unsigned moved = 0;
	for (uint64_t p = 0; p < PAGES; p++)
		moved += sim_landing_time(p, 1, 0, 0.1) != sim_landing_time(p, 2, 0, 0.1);
	assert_true(moved > PAGES / 2);
}

/* Pages of interval n, (t0, t1], landing in (after, until]. */
static uint64_t landed(uint64_t n, double t0, double t1, double after, double until)
{
	uint64_t count = 0;
	for (uint64_t p = 0; p < PAGES; p++) {
		double t = rule_landing(p, n, t0, t1);
		count += t > after && t <= until;
	}
	return count;
}

/* A trace interval that writes every page: its number and (t0, t1]. */
struct interval {
	uint64_t n;
	double t0, t1;
};

/* Pages that land in (after, until] in any of the intervals, each at its
 * rule_landing time (spread) or at t1 (interval replay). */
static uint64_t landed_in(const struct interval *iv, size_t n_iv, bool spread,
			  double after, double until)
{
	uint64_t count = 0;
	for (uint64_t p = 0; p < PAGES; p++) {
		bool in = false;
		for (size_t i = 0; i < n_iv; i++) {
			double t = spread ? rule_landing(p, iv[i].n, iv[i].t0, iv[i].t1)
					  : iv[i].t1;
			in |= t > after && t <= until;
		}
		count += in;
	}
	return count;
}

/* Every sync after the first reports the pages that landed since the one
 * before: syncs are free and nothing throttles, so the guest's clock is
 * the migration's plus `start` up to the stop, and the final sync's time
 * is the stop's. */
static void assert_every_sync(const struct sim_result *r, const struct interval *iv,
			      size_t n_iv, bool spread, double start)
{
	for (size_t i = 1; i < r->nsyncs; i++) {
		uint64_t want = landed_in(iv, n_iv, spread, start + r->syncs[i - 1].time,
					  start + r->syncs[i].time);
		if (r->syncs[i].dirtied != want)
			fail_msg("sync %zu at %a s: %llu dirtied, %llu landed since sync %zu",
				 i, r->syncs[i].time, (unsigned long long)r->syncs[i].dirtied,
				 (unsigned long long)want, i - 1);
	}
}

/*
 * Pages 0-31 start non-zero, 32-63 zero; a zero-length interval at 0
 * (number 0), then the interval (0, 100 ms] (number 1) writes all 64.
 * The first pass sends page i from i / 1024 s; pre-copy's pending test
 * (4 pages fit in 1 ms) brings sync 1 before the pass ends, at 63 pages
 * = 61.5 ms. Spread: it reports the pages landed by then, and page
 * i >= 32 went as a zero marker if it had not landed when its send
 * began. All 64 land by 100 ms, so every page sent after that is a full
 * page. Interval replay: sync 1 sees nothing, and pre-copy stops at the
 * next sync (the early convergence of issue 9), with all of 32-63 sent
 * as markers.
 */
static void test_short_pass_sees_landed_pages(void **state)
{
	(void)state;
	char path[CLASSROOM_PATH_LEN];
	classroom_write_trace(path, PAGES, 100000, "p 0-31\nd 0\nd 100000 0-63\ne 1000000\n");
	const struct interval iv[] = { { 1, 0, 0.1 } };
	struct sim_config c;
	struct sim_result r;
	const double sync1 = 63.0 / 1024;
	uint64_t dirty = landed(1, 0, 0.1, 0, sync1), zero = 0;

	for (uint64_t p = 32; p < PAGES; p++)
		zero += rule_landing(p, 1, 0, 0.1) > (double)p / 1024;
	assert_true(dirty > 0 && dirty < PAGES); /* the scenario is not trivial */
	assert_true(zero > 0 && zero < 32);

	config(&c, path, SIM_REPLAY_SPREAD);
	run(&c, &r);
	assert_true(r.syncs[1].time == sync1);
	assert_int_equal(r.syncs[1].dirtied, dirty);
	assert_int_equal(r.stats.duplicate, zero);
	assert_false(r.syncs[1].final);
	assert_true(r.nsyncs > 3);
	assert_every_sync(&r, iv, 1, true, 0);
	sim_result_free(&r);

	config(&c, path, SIM_REPLAY_INTERVAL);
	run(&c, &r);
	assert_int_equal(r.nsyncs, 3);
	assert_true(r.syncs[1].time == sync1);
	assert_int_equal(r.syncs[1].dirtied, 0);
	assert_true(r.syncs[2].final);
	assert_int_equal(r.stats.duplicate, 32);
	assert_every_sync(&r, iv, 1, false, 0);
	sim_result_free(&r);
	unlink(path);
}

/*
 * --start-at 50.3 ms, inside interval 0 (0, 100 ms]; interval 1
 * (100, 150 ms] is short (50 slices). Every page starts zero. Before the
 * start the pages of interval 0 that landed by 50.3 ms are written; the
 * first pass sends page i from 50.3 ms + i / 1024 s of guest time, as a
 * marker if it has landed in neither interval by then. Sync 1, 63 pages
 * later, reports the pages of interval 0 that landed after the start
 * and those of interval 1 that landed by then.
 */
static void test_start_mid_interval_and_short_last(void **state)
{
	(void)state;
	struct sim_result r;
	const double start = 0.0503, sync1 = start + 63.0 / 1024;
	uint64_t dirty = 0, zero = 0;

	for (uint64_t p = 0; p < PAGES; p++) {
		double a = rule_landing(p, 0, 0, 0.1), b = rule_landing(p, 1, 0.1, 0.15);
		double sent = start + (double)p / 1024;
		dirty += a > start || b <= sync1;
		zero += !(a <= sent) && !(b <= sent);
	}
	assert_true(dirty > 0 && dirty < PAGES);
	assert_true(zero > 0);

	run_spread("p\nd 100000 0-63\nd 150000 0-63\n", start, SIM_END_IDLE, &r);
	assert_int_equal(r.syncs[1].dirtied, dirty);
	assert_int_equal(r.stats.duplicate, zero);
	const struct interval iv[] = { { 0, 0, 0.1 }, { 1, 0.1, 0.15 } };
	assert_every_sync(&r, iv, 2, true, start);
	sim_result_free(&r);
}

/*
 * A looping trace: one interval (0, 100 ms] and the end at 150 ms. The
 * second pass begins at 150 ms: its interval (150, 250 ms] is interval
 * number 1. The migration starts at 160 ms, inside it; sync 1, 63 pages
 * later, reports its pages that landed after 160 ms and by then (those
 * that landed before the start were written before the migration).
 */
static void test_loop_numbers_on(void **state)
{
	(void)state;
	struct sim_result r;
	uint64_t dirty = landed(1, 0.15, 0.25, 0.16, 0.16 + 63.0 / 1024);
	assert_true(dirty > 0 && dirty < PAGES);

	run_spread("d 100000 0-63\ne 150000\n", 0.16, SIM_END_LOOP, &r);
	assert_int_equal(r.syncs[1].dirtied, dirty);
	const struct interval iv[] = { { 1, 0.15, 0.25 }, { 2, 0.3, 0.4 }, { 3, 0.45, 0.55 } };
	assert_true(r.syncs[r.nsyncs - 1].time + 0.16 < 0.45); /* iv covers the run */
	assert_every_sync(&r, iv, 3, true, 0.16);
	sim_result_free(&r);
}

/*
 * One interval (0, 200 ms] writing all 64 pages, all non-zero from the
 * start. The first pass ends 63 pages in (61.5 ms), and each shorter
 * pass after it brings another sync inside the same interval: each
 * reports exactly the pages that landed since the one before, whether a
 * send landed them (its time had come) or the sync's scan did (a scan of
 * the words still holding pages, after the interval's first).
 */
static void test_syncs_inside_one_interval(void **state)
{
	(void)state;
	char path[CLASSROOM_PATH_LEN];
	classroom_write_trace(path, PAGES, 200000, "p 0-63\nd 200000 0-63\ne 1000000\n");
	const struct interval iv[] = { { 0, 0, 0.2 } };
	struct sim_config c;
	struct sim_result r;
	config(&c, path, SIM_REPLAY_SPREAD);
	run(&c, &r);
	assert_every_sync(&r, iv, 1, true, 0);
	size_t inside = 0;
	for (size_t i = 1; i < r.nsyncs; i++)
		inside += r.syncs[i].time < 0.2 && r.syncs[i].dirtied > 0;
	assert_true(inside >= 3); /* the first scan and two more */
	sim_result_free(&r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_short_pass_sees_landed_pages),
		cmocka_unit_test(test_start_mid_interval_and_short_last),
		cmocka_unit_test(test_loop_numbers_on),
		cmocka_unit_test(test_syncs_inside_one_interval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

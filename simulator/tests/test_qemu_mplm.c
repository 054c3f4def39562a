/*
 * test_qemu_mplm.c - the default variant (mplm-variant = qemu-mplm) and
 * QEMU 2.9's pre-copy mechanics on hand-worked scenarios, and the two
 * bugs of issue 8.
 *
 * The classroom link carries 128 pages/s, so the n-th page sent goes at
 * n/128 s; syncs are free. QEMU's rate window closes at the first engine
 * step 100 ms after the previous one: here every 13 pages (13/128 =
 * 0.1015625 s), and the measured rate is then exactly 524,288 B/s. The
 * interval is checked at the first page of each window (a new
 * ram_save_iterate call) and every 64 pages of it: in the classroom, at
 * the pages n = 13j + 1, and at the first page after a sync.
 */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "classroom.h"

/* The classroom scenario with the default variant's MPLM. */
static void scenario_qemu(struct scenario *s, unsigned pages, unsigned lo,
			  unsigned hi, unsigned end)
{
	scenario_hot(s, pages, lo, hi, end, MPLM_ALG_MPLM);
	s->c.params.mplm_variant = MPLM_VARIANT_QEMU_MPLM;
	s->c.params.relaxlivemig = true;
}

static void assert_sync(const struct mplm_sync_record *r, double t,
			enum mplm_sync_cause cause, enum mplm_verdict v)
{
	if (r->time != t || r->cause != cause || r->verdict != v)
		fail_msg("sync %u: t=%.9g cause %s verdict %s; expected t=%.9g %s %s",
			 r->index, r->time, mplm_sync_cause_name(r->cause),
			 mplm_verdict_name(r->verdict), t,
			 mplm_sync_cause_name(cause), mplm_verdict_name(v));
}

/*
 * qemu-mplm, relaxed (the default), 1024 pages, hot pages 1000-1023
 * written every second; threshold 38.4 pages (configured rate).
 * - S0 (firstnondirty): the ND cursor sends 0, 1, 2, ... The interval
 *   (2 s) is first seen passed at a check after 2 s: n = 13 x 20 + 1 =
 *   261, t = 261/128 = 2.0390625. Sync 1: the 24 hot pages leave ND for
 *   D; ND = 1024 - 261 - 24 = 739; next deadline 4.0390625.
 * - Batch 1: ND's 50 slots send 261-310. D's cursor starts at 0: the
 *   next page to send of D u ND is 311, then in the bulk stage it steps
 *   on, sending 312-360 (never-sent pages, from ND).
 * - Batch 2 on: ND's cursor steps over 311-360, all sent: 50 slots used
 *   for nothing; D's sends 361-410; and so on, 50 pages a batch, in
 *   address order. A slot costs no link time, so pages still go one per
 *   1/128 s.
 * - Sync 2 at the check n = 13 x 40 + 1 = 521 (4.0703125 s): 260 pages
 *   (261-520) all from ND; slots 4 x 100 + 50 + 10 = 460, ND's 250.
 *   ND = 479, D = 24 (written at 3 and 4 s, still unsent).
 * - Sync 3 at n = 781 (6.1015625 s): 521-780, ND = 219.
 * - After page 985 (n = 986, 7.703125 s) 38 pages are pending (986-999
 *   in ND, the 24 hot ones in D): under 38.4, QEMU's test syncs (cause
 *   pending); the write at 7 s is on pages already in D; still 38:
 *   converged. The paper's MPLM, on the same trace, ends at 8.375 s when
 *   ND empties (test_policies.c): the variants differ.
 * - Downtime: 38 pages = 0.296875 s; total 8.0 s.
 */
static void test_relaxed_bulk_stage_and_pending_test(void **state)
{
	(void)state;
	struct scenario s;
	scenario_qemu(&s, 1024, 1000, 1023, 1000);
	scenario_run(&s);
	assert_int_equal(s.r.stats.status, MPLM_STATUS_COMPLETED);
	assert_int_equal(s.r.nsyncs, 6);
	assert_sync(&s.r.syncs[1], 261 / 128.0, MPLM_CAUSE_INTERVAL, MPLM_VERDICT_GO_ON);
	assert_record(&s.r.syncs[1], 24, 24, 739, 0, 261);
	assert_sync(&s.r.syncs[2], 521 / 128.0, MPLM_CAUSE_INTERVAL, MPLM_VERDICT_GO_ON);
	assert_record(&s.r.syncs[2], 24, 24, 479, 0, 260);
	assert_int_equal(s.r.syncs[2].slots_total, 460);
	assert_int_equal(s.r.syncs[2].slots_nd, 250);
	assert_sync(&s.r.syncs[3], 781 / 128.0, MPLM_CAUSE_INTERVAL, MPLM_VERDICT_GO_ON);
	assert_record(&s.r.syncs[3], 24, 24, 219, 0, 260);
	assert_sync(&s.r.syncs[4], 986 / 128.0, MPLM_CAUSE_PENDING, MPLM_VERDICT_CONVERGED);
	assert_record(&s.r.syncs[4], 24, 24, 14, 0, 205);
	assert_true(s.r.syncs[4].threshold == CLASSROOM_RATE * 0.3);
	assert_true(s.r.syncs[5].final);
	assert_int_equal(s.r.syncs[5].verdict, MPLM_VERDICT_CONVERGED);
	assert_record(&s.r.syncs[5], 0, 24, 14, 0, 0);
	assert_true(s.r.stats.downtime == 38 / 128.0);
	assert_true(s.r.stats.total_time == 8.0);
	assert_int_equal(s.r.stats.verdict, MPLM_VERDICT_CONVERGED);
	scenario_end(&s);
}

/*
 * The same with relaxlivemig off (strict). Up to sync 1 nothing changes.
 * Batch 1: ND sends 261-310. D's cursor at 0 takes the next page to send
 * (311; a search from offset 0 is a plain bitmap search), then, strict in
 * the bulk stage, the next page of D: 1000-1023; then it passes the end:
 * a slot, and the bulk stage is over. Its 24 last slots take the next
 * pages of D u ND from 0: 312-335. From then on both cursors take the
 * next page of their sets: ND 336-385, D 386-435, ND 436-485, D 486-496
 * until sync 2 (same time: slots cost no link time). 24 pages came from
 * D, 236 from ND; the hot pages are dirty again by 4 s: D = 24,
 * ND = 739 - 236 = 503 (relaxed: 479).
 */
static void test_strict_bulk_stage(void **state)
{
	(void)state;
	struct scenario s;
	scenario_qemu(&s, 1024, 1000, 1023, 1000);
	s.c.params.relaxlivemig = false;
	scenario_run(&s);
	assert_record(&s.r.syncs[1], 24, 24, 739, 0, 261);
	assert_sync(&s.r.syncs[2], 521 / 128.0, MPLM_CAUSE_INTERVAL, MPLM_VERDICT_GO_ON);
	assert_record(&s.r.syncs[2], 24, 24, 503, 24, 236);
	/* 260 pages and the step past the end: 100 + 100 + 61 slots. */
	assert_int_equal(s.r.syncs[2].slots_total, 100 + 100 + 61);
	scenario_end(&s);
}

/*
 * Extend-live from the start, end-live at 4.05 s; 256 pages, hot pages
 * 0-9 written every second; downtime-limit 0, so QEMU's test never fires.
 * - S0 sends 0-255 by 2.0 s; ND is empty and the search finds nothing:
 *   sync 1 (cause nothing) at 2.0 s reads extend-live: ND empty but
 *   extended, so the state becomes S3 (D only). D = 0-9 (written at 1, 2).
 * - The first page after it (0, at 2.0078125) is checked against the
 *   deadline of 2.0 s, which passed: sync 2 (interval), next deadline
 *   4.0078125. Pages 1-9 follow; at 2.078125 nothing is left: sync 3
 *   (nothing). Still nothing: the engine waits for the deadline (qemu-mplm
 *   would sync in a loop) and syncs at 4.0078125 (interval): D = 0-9.
 * - End-live at 4.05 only clears extend-live. 0-9 are sent by 4.0859375;
 *   the search finds nothing: sync 5 finds ND empty and no extend: the
 *   live stage ends; nothing was written since 4 s: no page in the
 *   downtime.
 * - The paper's MPLM (syncs at 2 and 4 s) stops at the engine step after
 *   4.05 s, 7 pages into D (4.0546875): pages 7-9 go in the downtime.
 */
static void test_end_live_ends_at_next_sync(void **state)
{
	(void)state;
	struct scenario s;
	scenario_qemu(&s, 256, 0, 9, 1000);
	s.c.params.downtime_limit = 0;
	s.c.extend_live_at = 0;
	s.c.end_live_at = 4.05;
	scenario_run(&s);
	assert_int_equal(s.r.nsyncs, 7);
	const struct mplm_sync_record *r = s.r.syncs;
	assert_sync(&r[1], 2.0, MPLM_CAUSE_NOTHING, MPLM_VERDICT_EXTENDED);
	assert_record(&r[1], 10, 10, 0, 0, 256);
	assert_sync(&r[2], 2.0078125, MPLM_CAUSE_INTERVAL, MPLM_VERDICT_EXTENDED);
	assert_record(&r[2], 0, 9, 0, 1, 0);
	assert_sync(&r[3], 2.078125, MPLM_CAUSE_NOTHING, MPLM_VERDICT_EXTENDED);
	assert_record(&r[3], 0, 0, 0, 9, 0);
	assert_sync(&r[4], 4.0078125, MPLM_CAUSE_INTERVAL, MPLM_VERDICT_EXTENDED);
	assert_record(&r[4], 10, 10, 0, 0, 0);
	assert_sync(&r[5], 4.0859375, MPLM_CAUSE_NOTHING, MPLM_VERDICT_END_LIVE);
	assert_record(&r[5], 0, 0, 0, 10, 0);
	assert_true(r[6].final && r[6].time == 4.0859375);
	assert_true(s.r.stats.downtime == 0);
	assert_true(s.r.stats.total_time == 4.0859375);

	s.c.params.mplm_variant = MPLM_VARIANT_PAPER;
	scenario_run(&s);
	assert_int_equal(s.r.nsyncs, 4);
	assert_true(s.r.syncs[1].time == 2.0 && s.r.syncs[2].time == 4.0);
	assert_true(s.r.syncs[3].final && s.r.syncs[3].time == 4.0546875);
	assert_int_equal(s.r.stats.verdict, MPLM_VERDICT_END_LIVE);
	assert_true(s.r.stats.downtime == 3 / 128.0);
	scenario_end(&s);
}

/*
 * The interval check every 64 pages of a ram_save_iterate call. A link of
 * 1280 pages/s: housekeeping every 12 pages (10 ms), so a rate window
 * closes at the step before page 132 (131/1280 = 0.102 s >= 0.1 s) and
 * every 132 pages after it. A call checks at its first page and 64 and
 * 128 pages later: at pages 132j, 132j + 64, 132j + 128. The deadline is
 * 2 s (page 2560): the first check past it is page 2508 + 64 = 2572, at
 * 2.009375 s. 4096 pages, nothing written: all from ND (epoch 0).
 */
static void test_interval_checked_every_64_pages(void **state)
{
	(void)state;
	struct scenario s;
	scenario_qemu(&s, 4096, 1, 0, 10);
	s.c.link_bandwidth = s.c.params.max_bandwidth = 1280.0 * 4096;
	scenario_run(&s);
	const struct mplm_sync_record *r = &s.r.syncs[1];
	assert_int_equal(r->cause, MPLM_CAUSE_INTERVAL);
	if (fabs(r->time - 2572 / 1280.0) > 1e-9)
		fail_msg("sync 1 at %.9f s, expected 2572/1280 = 2.009375 s", r->time);
	assert_record(r, 0, 0, 4096 - 2572, 0, 2572);
	scenario_end(&s);
}

/*
 * QEMU 2.9 pre-copy, measured rate (the default), 32 pages, no writes.
 * Before the first window ends there is no threshold: pages go out. The
 * window closes before page 13 (13/128 s): 524,288 B/s x 0.3 s = 38.4
 * pages; 19 are pending: sync, converged. Downtime 19/128 s. With the
 * configured rate the threshold is there from the start: 32 pending,
 * sync at 0 s, all 32 in the downtime.
 */
static void test_precopy_measured_threshold(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 32, 1, 0, 10, MPLM_ALG_PRECOPY);
	s.c.params.threshold_bandwidth = MPLM_THRESHOLD_MEASURED;
	scenario_run(&s);
	assert_int_equal(s.r.nsyncs, 3);
	assert_true(s.r.syncs[0].threshold == 0);
	assert_sync(&s.r.syncs[1], 13 / 128.0, MPLM_CAUSE_PENDING, MPLM_VERDICT_CONVERGED);
	assert_true(s.r.syncs[1].bandwidth == CLASSROOM_RATE);
	assert_true(s.r.stats.downtime == 19 / 128.0);
	assert_true(s.r.stats.total_time == 32 / 128.0);

	s.c.params.threshold_bandwidth = MPLM_THRESHOLD_MAX_BANDWIDTH;
	scenario_run(&s);
	assert_sync(&s.r.syncs[1], 0, MPLM_CAUSE_PENDING, MPLM_VERDICT_CONVERGED);
	assert_true(s.r.stats.downtime == 32 / 128.0);
	scenario_end(&s);
}

/*
 * The same 32 pages over a link twice as fast as max-bandwidth (256
 * pages/s), with 8 KiB of device state. Live: 13 pages at 128 pages/s
 * (the cap), then the threshold (measured: the cap's rate) stops it.
 * QEMU lifts the cap for stop-and-copy: 19 pages and the state at 256
 * pages/s = 21/256 s. `transferred` counts the 32 pages, not the state.
 */
static void test_precopy_downtime_at_link_speed(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 32, 1, 0, 10, MPLM_ALG_PRECOPY);
	s.c.params.threshold_bandwidth = MPLM_THRESHOLD_MEASURED;
	s.c.link_bandwidth = 2 * CLASSROOM_RATE;
	s.c.state_bytes = 8192;
	scenario_run(&s);
	assert_true(s.r.syncs[1].time == 13 / 128.0);
	assert_true(s.r.stats.downtime == 21 / 256.0);
	assert_int_equal(s.r.stats.transferred, 32 * 4096);
	assert_int_equal(s.r.stats.state_bytes, 8192);
	scenario_end(&s);
}

/*
 * Issue 8's first bug: a link slower than max-bandwidth. The wire gives
 * 100 Mbps; with max-bandwidth 1 Gbps a threshold from the configured
 * rate was 10 x too large (3011 ms of downtime for a 300 ms limit). Both
 * the measured rate and min(link, max-bandwidth) keep the downtime at the
 * limit plus what one page-send granularity adds.
 */
static void test_slow_link_downtime(void **state)
{
	(void)state;
	static const enum mplm_threshold_bandwidth modes[] = {
		MPLM_THRESHOLD_MEASURED, MPLM_THRESHOLD_MAX_BANDWIDTH,
	};
	for (size_t i = 0; i < 2; i++) {
		struct sim_config c;
		struct sim_result r;
		sim_config_default(&c);
		c.workload_spec = "uniform,memory=256M,wss=64M,rate=2000,duration=60,seed=1";
		c.params.algorithm = MPLM_ALG_PRECOPY;
		c.params.threshold_bandwidth = modes[i];
		c.link_bandwidth = 100e6 / 8;
		assert_true(c.params.max_bandwidth == 125e6);
		if (sim_run(&c, &r) != 0)
			fail_msg("sim_run: %s", r.error);
		assert_int_equal(r.stats.status, MPLM_STATUS_COMPLETED);
		if (r.stats.downtime > 0.31)
			fail_msg("%s: downtime %.3f s for a 0.3 s limit",
				 mplm_threshold_bandwidth_name(modes[i]), r.stats.downtime);
		sim_result_free(&r);
	}
}

/* A hang is a failure, not a stuck test run. */
static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "test_qemu_mplm: a migration did not return within 120 s\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

/*
 * Issue 8's second bug: the paper variant's idle wait spun forever when
 * the interval was not a whole number of clock ticks. Every loop on the
 * virtual clock must make progress: a grid of intervals, operator times
 * and both variants, each run to completion (end-live comes), under one
 * alarm.
 */
static void test_idle_waits_make_progress(void **state)
{
	(void)state;
	static const double intervals[] = { 0.1, 0.3, 0.7, 1.0, 1.3, 2.9 };
	static const double extend_at[] = { 0, 0.35, 1.1 };
	static const double end_at[] = { 2.05, 7.7, 60 };
	unsigned runs = 0;

	signal(SIGALRM, on_alarm);
	alarm(120);
	for (int v = 0; v < 2; v++)
		for (size_t i = 0; i < sizeof(intervals) / sizeof(*intervals); i++)
			for (size_t e = 0; e < 3; e++)
				for (size_t k = 0; k < 3; k++) {
					struct sim_config c;
					struct sim_result r;
					sim_config_default(&c);
					c.workload_spec = "uniform,pages=4096,wss=4M,rate=100,duration=5,seed=1";
					c.params.mplm_variant = v ? MPLM_VARIANT_PAPER
								  : MPLM_VARIANT_QEMU_MPLM;
					c.params.intervaltime = intervals[i];
					c.extend_live_at = extend_at[e];
					c.end_live_at = end_at[k];
					if (sim_run(&c, &r) != 0)
						fail_msg("sim_run: %s", r.error);
					assert_int_equal(r.stats.status, MPLM_STATUS_COMPLETED);
					/* Extended from the start, it ends only
					 * after end-live. */
					if (extend_at[e] == 0)
						assert_true(r.stats.total_time >= end_at[k]);
					sim_result_free(&r);
					runs++;
				}
	alarm(0);
	assert_int_equal(runs, 2 * 6 * 3 * 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relaxed_bulk_stage_and_pending_test),
		cmocka_unit_test(test_strict_bulk_stage),
		cmocka_unit_test(test_end_live_ends_at_next_sync),
		cmocka_unit_test(test_interval_checked_every_64_pages),
		cmocka_unit_test(test_precopy_measured_threshold),
		cmocka_unit_test(test_precopy_downtime_at_link_speed),
		cmocka_unit_test(test_slow_link_downtime),
		cmocka_unit_test(test_idle_waits_make_progress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

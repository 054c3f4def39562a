/*
 * test_postcopy.c - post-copy (postcopy-ram) in the simulator, worked out
 * by hand on the classroom link (128 pages/s, 4096-byte pages, no header,
 * free syncs): every time is a multiple of 1/128 s, exact in floating
 * point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "classroom.h"

#define PAGE_T (1.0 / 128)

/* The scenario below, with a round trip of rtt s. */
static void after_one_pass(struct scenario *s, double rtt)
{
	scenario_hot(s, 256, 0, 63, 2, MPLM_ALG_PRECOPY);
	s->c.params.postcopy_ram = true;
	s->c.params.postcopy_after_passes = 1;
	s->c.rtt = rtt;
	s->c.state_bytes = 8192;
	scenario_run(s);
}

/* Pre-copy, 256 pages, pages 0-63 written at 1 s and 2 s, the trace
 * ends at 2 s; postcopy-after-passes 1, rtt 2/128 s, 8 KiB of state.
 *
 * Pre-copy: the threshold is 0.3 s x 128 pages/s = 38.4 pages, so it
 * sends pages 0-217 and syncs at 218/128 = 1.703125 s with 38 left. The
 * write at 1 s dirtied 0-63: 102 pages pending, not under 38.4: pass 1
 * of postcopy-after-passes 1, the switch. The source pauses, the final
 * sync finds nothing new, the discard set is the 102 pages (0-63 and
 * 218-255), the state takes 2/128 s: the destination runs at 1.71875 s,
 * downtime 0.015625 s.
 *
 * The push goes on from the cursor: 218-255, 38 pages until 2.015625 s.
 * The guest's clock was 1.703125 s at the switch; it reaches 2 s at
 * 2.015625 s and writes 0-63: page 0 is missing, a fault. Page 0 goes
 * next, [2.015625, 2.0234375], the guest waits a round trip more, to
 * 2.0390625; meanwhile the push goes on after page 0: pages 1 and 2. The
 * guest writes 0, 1, 2 and faults on 3. So each fault costs 1 + 2 page
 * times = 3/128 s, and faults hit pages 0, 3, ..., 63: 22 faults, the
 * guest waits 66/128 = 0.515625 s. The last, page 63, is sent at
 * 2.5078125 s and arrives at 2.515625 s: every page is there. Pages after
 * the switch: 102 (22 asked for, 80 pushed), 0.796875 s of link time =
 * the degradation window. Total 2.515625 s. */
static void test_hand_worked_faults(void **state)
{
	(void)state;
	struct scenario s;
	after_one_pass(&s, 2 * PAGE_T);

	const struct mplm_stats *st = &s.r.stats;
	assert_int_equal(st->status, MPLM_STATUS_COMPLETED);
	assert_int_equal(st->verdict, MPLM_VERDICT_POSTCOPY);
	assert_int_equal(s.r.nsyncs, 3);
	assert_record(&s.r.syncs[1], 64, 102, 0, 218, 0);
	assert_int_equal(s.r.syncs[1].verdict, MPLM_VERDICT_POSTCOPY);
	assert_true(s.r.syncs[1].time == 1.703125);
	assert_true(s.r.syncs[2].final);
	assert_record(&s.r.syncs[2], 0, 102, 0, 0, 0);
	assert_true(st->downtime == 0.015625);
	assert_int_equal(st->postcopy_requests, 22);
	assert_int_equal(st->postcopy_pages, 102);
	assert_int_equal(st->downtime_pages, 0);
	assert_true(st->postcopy_wait == 0.515625);
	assert_true(s.r.guest_lost == 0.515625);
	assert_true(st->postcopy_time == 0.796875);
	assert_true(st->total_time == 2.515625);
	assert_true(st->live_time == 1.703125);
	assert_int_equal(st->normal, 218 + 102);
	assert_int_equal(st->transferred, (218 + 102) * 4096);
	scenario_end(&s);
}

/* The same with a round trip of 0: the guest goes on as soon as the
 * page asked for is sent, at the start of the next push page, which is
 * on the destination from then on (a page counts as there once sent, as
 * in the check at resume). So the faults hit 0, 2, ..., 62: 32 faults;
 * the first waits 1 page time, each other 2 (the page in flight, then
 * the one asked for): 63/128 s. The total is the same: the link never
 * idles. */
static void test_no_round_trip(void **state)
{
	(void)state;
	struct scenario s;
	after_one_pass(&s, 0);
	assert_int_equal(s.r.stats.postcopy_requests, 32);
	assert_true(s.r.stats.postcopy_wait == 63 * PAGE_T);
	assert_true(s.r.stats.total_time == 2.515625);
	scenario_end(&s);
}

/* migrate-start-postcopy at 1 s (start-postcopy-at): read at the
 * housekeeping step, which at 128 pages/s runs before every page, and
 * the switch comes before the next page. The source pauses at 1 s with
 * pages 0-127 sent; the guest's clock reached 1 s too, so 0-63 are
 * dirty: 192 pages to discard and push, no state, so the destination
 * runs at 1 s. The push, 128-255, ends at 2 s, when the guest writes
 * 0-63 and faults on 0. Page 0 goes, a round trip (1/128 s) follows,
 * during which the push sends 1; the guest writes 0 and 1 and faults on
 * 2. Each fault waits 2/128 s: 32 faults (0, 2, ..., 62), 0.5 s; the
 * last page, 63, arrives at 2.5 s. */
static void test_operator_command(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 256, 0, 63, 2, MPLM_ALG_PRECOPY);
	s.c.params.postcopy_ram = true;
	s.c.start_postcopy_at = 1;
	s.c.rtt = PAGE_T;
	s.c.state_bytes = 0;
	scenario_run(&s);
	const struct mplm_stats *st = &s.r.stats;
	assert_int_equal(st->verdict, MPLM_VERDICT_POSTCOPY);
	assert_int_equal(s.r.nsyncs, 2); /* setup and final: no live sync */
	assert_true(s.r.syncs[1].time == 1.0);
	assert_record(&s.r.syncs[1], 64, 192, 0, 128, 0);
	assert_true(st->downtime == 0);
	assert_int_equal(st->postcopy_pages, 192);
	assert_int_equal(st->postcopy_requests, 32);
	assert_true(st->postcopy_wait == 32 * 2 * PAGE_T);
	assert_true(st->total_time == 2.5);
	scenario_end(&s);
}

/* Pre-copy that converges before the pass count is plain pre-copy: QEMU
 * switches only while what is pending does not fit the downtime. Pages
 * 0-3 written at 1 s: after the sync at 1.703125 s, 38 + 4 = 42 pages
 * pending... still over 38.4; after-passes 2 lets pre-copy go on; at the
 * next sync nothing new is dirty (the trace ended at 1 s), so it
 * converges: stop-and-copy, no post-copy. */
static void test_converged_stays_precopy(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 256, 0, 3, 1, MPLM_ALG_PRECOPY);
	s.c.params.postcopy_ram = true;
	s.c.params.postcopy_after_passes = 2;
	scenario_run(&s);
	assert_int_equal(s.r.stats.verdict, MPLM_VERDICT_CONVERGED);
	assert_int_equal(s.r.stats.postcopy_requests, 0);
	assert_int_equal(s.r.stats.postcopy_pages, 0);
	assert_true(s.r.stats.downtime_pages > 0);
	scenario_end(&s);
}

/* Spread replay: a write lands at its own time inside its interval, and
 * so does its fault. 256 pages; pages 0-63 written in (0, 1], page 200
 * in (1, 2] at L = sim_landing_time(200, 1, 1, 2); migrate-start-postcopy
 * at 1 s. As in test_operator_command the source pauses at 1 s with
 * 0-127 sent and 0-63 written (all of (0, 1] has landed by then), and the
 * push sends 128-255 from 1 s, page 200 in [1 + 72/128, 1 + 73/128].
 * L is 1.394 s (slice 393 of 1000), before that send: the guest faults at
 * L, the page on the wire ends at 179/128 s, page 200 goes next, then a
 * round trip of 1/128: one fault, 179/128 + 2/128 - 1.394 s of waiting.
 * The push still ends at 1 + 192/128 = 2.5 s (a fault only reorders it). */
static void test_spread_fault_at_landing(void **state)
{
	(void)state;
	struct scenario s;
	memset(&s, 0, sizeof(s));
	classroom_write_trace(s.path, 256, 1000000,
			      "d 1000000 0-63\nd 2000000 200\ne 2000000\n");
	classroom_config(&s.c, s.path, MPLM_ALG_PRECOPY);
	s.c.replay = SIM_REPLAY_SPREAD;
	s.c.params.postcopy_ram = true;
	s.c.start_postcopy_at = 1;
	s.c.rtt = PAGE_T;
	scenario_run(&s);

	double landing = sim_landing_time(200, 1, 1, 2);
	double push_start = 1 + 72 * PAGE_T;
	const struct mplm_stats *st = &s.r.stats;
	assert_int_equal(st->verdict, MPLM_VERDICT_POSTCOPY);
	assert_int_equal(st->postcopy_pages, 192);
	assert_true(st->total_time == 2.5);
	assert_true(fabs(landing - 1.394) < 1e-12 && landing < push_start);
	assert_int_equal(st->postcopy_requests, 1);
	assert_true(fabs(st->postcopy_wait - (181 * PAGE_T - landing)) < 1e-12);
	scenario_end(&s);
}

/* Pre-copy's send runs before the switch change nothing: the same run
 * page by page gives the same faults, wait and times, bit for bit (MG's
 * trace, after one pass, at 1 Gbps). */
static void test_runs_equal_page_by_page(void **state)
{
	(void)state;
	struct sim_result r[2];
	for (int i = 0; i < 2; i++) {
		struct sim_config c;
		sim_config_default(&c);
		c.trace_path = "workloads/traces/npb/npb-mg.B.trace.gz";
		c.start_at = 2;
		c.params.algorithm = MPLM_ALG_PRECOPY;
		c.params.postcopy_ram = true;
		c.params.postcopy_after_passes = 1;
		c.page_by_page = i == 1;
		if (sim_run(&c, &r[i]) != 0)
			fail_msg("%s", r[i].error);
	}
	assert_int_equal(r[0].stats.verdict, MPLM_VERDICT_POSTCOPY);
	assert_true(r[0].stats.postcopy_requests > 1000);
	assert_int_equal(r[0].stats.postcopy_requests, r[1].stats.postcopy_requests);
	assert_int_equal(r[0].stats.postcopy_pages, r[1].stats.postcopy_pages);
	assert_int_equal(r[0].stats.transferred, r[1].stats.transferred);
	assert_true(r[0].stats.postcopy_wait == r[1].stats.postcopy_wait);
	assert_true(r[0].stats.total_time == r[1].stats.total_time);
	assert_true(r[0].guest_lost == r[1].guest_lost);
	for (int i = 0; i < 2; i++) {
		assert_true(r[i].verified && r[i].mismatches == 0);
		sim_result_free(&r[i]);
	}
}

/* Refused: post-copy with MPLM, after-passes without the capability,
 * the command without it: one line each, no run. */
static void test_refusals(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 256, 0, 63, 2, MPLM_ALG_MPLM);
	s.c.params.postcopy_ram = true;
	assert_int_equal(scenario_try(&s), -1);
	assert_non_null(strstr(s.r.error, "postcopy-ram: only with algorithm precopy"));
	s.c.params.algorithm = MPLM_ALG_PRECOPY;
	s.c.params.postcopy_ram = false;
	s.c.params.postcopy_after_passes = 1;
	assert_int_equal(scenario_try(&s), -1);
	assert_non_null(strstr(s.r.error, "needs postcopy-ram on"));
	s.c.params.postcopy_after_passes = 0;
	s.c.start_postcopy_at = 1;
	assert_int_equal(scenario_try(&s), -1);
	assert_non_null(strstr(s.r.error, "start-postcopy-at: Enable postcopy"));
	assert_null(strchr(s.r.error, '\n'));
	scenario_end(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_worked_faults),
		cmocka_unit_test(test_no_round_trip),
		cmocka_unit_test(test_operator_command),
		cmocka_unit_test(test_converged_stays_precopy),
		cmocka_unit_test(test_runs_equal_page_by_page),
		cmocka_unit_test(test_spread_fault_at_landing),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_policies.c - pre-copy, MPLM and stop-and-copy on small hand-made
 * traces, with outcomes worked out by hand.
 *
 * Every scenario uses a link of 128 pages/s (4096-byte pages, no header,
 * 524,288 B/s), free dirty log syncs and no CPU state, so every time is a
 * multiple of 1/128 s and exact in floating point. The derivations are in
 * the comments above each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "classroom.h"


/*
 * MPLM, 1024 pages, hot pages 1000-1023 written every second.
 * Epoch 0 [0,2]: 256 ND pages (0-255), none from D.
 * Sync 1 at 2 s: the 24 hot pages move to D; ND = 1024-256-24 = 744.
 * Epochs 1-3: D has only 24 pages, so the D slots it cannot fill go to
 *   ND: 24 from D and 232 from ND per epoch; the 24 are written again.
 *   ND: 744 -> 512 -> 280 -> 48.
 * Epoch 4 from 8 s: 48 ND pages, then ND is empty: live stage over at
 *   8 + 48/128 = 8.375 s. Nothing was written since the sync at 8 s;
 *   the 24 pages of D go in the downtime: 24/128 = 0.1875 s.
 */
static void test_mplm_small_dirty_set(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 1024, 1000, 1023, 1000, MPLM_ALG_MPLM);
	scenario_run(&s);

	assert_int_equal(s.r.stats.status, MPLM_STATUS_COMPLETED);
	assert_int_equal(s.r.nsyncs, 6);
	assert_record(&s.r.syncs[1], 24, 24, 744, 0, 256); /* epoch 0: ND only */
	assert_record(&s.r.syncs[2], 24, 24, 512, 24, 232);
	assert_record(&s.r.syncs[3], 24, 24, 280, 24, 232);
	assert_record(&s.r.syncs[4], 24, 24, 48, 24, 232);
	assert_true(s.r.syncs[5].final);
	assert_record(&s.r.syncs[5], 0, 24, 0, 0, 48);
	assert_true(s.r.syncs[5].time == 8.375);
	assert_true(s.r.stats.downtime == 0.1875);
	assert_true(s.r.stats.total_time == 8.5625);
	/* ND's 1000 pages once, D's 24 in three epochs and the downtime. */
	assert_int_equal(s.r.stats.normal, 1000 + 3 * 24 + 24);
	assert_int_equal(s.r.stats.duplicate, 0);
	assert_int_equal(s.r.stats.transferred, (1000 + 3 * 24 + 24) * 4096);
	assert_int_equal(s.r.stats.dirty_sync_count, 6);
	scenario_end(&s);
}

/*
 * MPLM, hot pages 512-1023 (more than D can send in an epoch).
 * Epoch 0: ND 0-255. Sync 1: D = 512, ND = 256.
 * Epoch 1: slots ND50 D50 ND50 D50 ND50 D6 -> 150 ND, 106 D; the batch
 *   is at slot 56 when the epoch ends.
 * Sync 2 at 4 s: the 512 hot pages are dirty again: D = 512, ND = 106.
 * Epoch 2 goes on with the batch: D44 ND50 D50 ND50 D50, then ND6: ND is
 *   empty after 250 pages, at 4 + 250/128 = 5.953125 s; 144 sent from D.
 * Final sync: the write at 5 s makes all 512 dirty: 512 pages = 4 s of
 *   downtime; total 9.953125 s.
 */
static void test_mplm_split_50_50(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 1024, 512, 1023, 1000, MPLM_ALG_MPLM);
	scenario_run(&s);

	assert_int_equal(s.r.nsyncs, 4);
	assert_record(&s.r.syncs[1], 512, 512, 256, 0, 256);
	assert_record(&s.r.syncs[2], 512, 512, 106, 106, 150);
	assert_int_equal(s.r.syncs[2].slots_nd, 150);
	assert_int_equal(s.r.syncs[2].slots_total, 256);
	assert_record(&s.r.syncs[3], 512, 512, 0, 144, 106);
	assert_true(s.r.syncs[3].time == 5.953125);
	assert_true(s.r.stats.downtime == 4.0);
	assert_true(s.r.stats.total_time == 9.953125);
	scenario_end(&s);
}

/* dirtypercents 80: batches of 20 ND slots then 80 D slots. Epoch 1 of
 * the previous scenario: ND20 D80 ND20 D80 ND20 D36 -> 60 ND, 196 D. */
static void test_mplm_dirtypercents(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 1024, 512, 1023, 1000, MPLM_ALG_MPLM);
	s.c.params.dirtypercents = 80;
	scenario_run(&s);
	assert_record(&s.r.syncs[1], 512, 512, 256, 0, 256);
	assert_record(&s.r.syncs[2], 512, 512, 196, 196, 60);
	scenario_end(&s);
}

/*
 * Extend-live from the start, end-live at 20 s, hot pages 512-1023.
 * As in the 50/50 scenario until ND empties in epoch 2, 250 pages after
 * 4 s: with extend-live the 6 slots left in that epoch go to D (106 ND
 * and 150 D pages in epoch 2). From then on each epoch sends 256 pages of D
 * and the sync finds all 512 dirty again. End-live arrives at 20 s, at
 * the end of epoch [18, 20], before its sync: the final sync finds the
 * 512 hot pages, 4 s of downtime, total 24 s.
 */
static void test_mplm_extend_live(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 1024, 512, 1023, 1000, MPLM_ALG_MPLM);
	s.c.extend_live_at = 0;
	s.c.end_live_at = 20;
	scenario_run(&s);
	assert_int_equal(s.r.stats.status, MPLM_STATUS_COMPLETED);
	/* Syncs at 0, 2, 4, ..., 18 s, and the final one at 20 s. */
	assert_int_equal(s.r.nsyncs, 11);
	assert_record(&s.r.syncs[3], 512, 512, 0, 150, 106);
	assert_record(&s.r.syncs[9], 512, 512, 0, 256, 0);
	assert_true(s.r.syncs[10].final && s.r.syncs[10].time == 20.0);
	assert_true(s.r.stats.downtime == 4.0);
	assert_true(s.r.stats.total_time == 24.0);
	scenario_end(&s);
}

/*
 * Extend-live holds the live stage even when the dirty set would fit in
 * the downtime limit (qemu-mplm skips QEMU's test while extending). Hot
 * pages 1000-1023: ND empties at 8.375 s; the extended stage sends the 24
 * dirty pages each epoch and waits. Without extend-live the sync at 10 s
 * (24 pages = 98,304 B < 524,288 B/s x 0.3 s) would stop it; with it, it
 * goes on until end-live at 14 s, then 24 pages of downtime.
 */
static void test_mplm_extend_live_skips_downtime_test(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 1024, 1000, 1023, 1000, MPLM_ALG_MPLM);
	s.c.extend_live_at = 0;
	s.c.end_live_at = 14;
	scenario_run(&s);
	assert_int_equal(s.r.stats.status, MPLM_STATUS_COMPLETED);
	/* Syncs at 0, 2, ..., 12 s and the final one at 14 s. */
	assert_int_equal(s.r.nsyncs, 8);
	assert_record(&s.r.syncs[5], 24, 24, 0, 24, 48);
	assert_record(&s.r.syncs[6], 24, 24, 0, 24, 0);
	assert_true(s.r.syncs[7].final && s.r.syncs[7].time == 14.0);
	assert_true(s.r.stats.downtime == 0.1875);
	assert_true(s.r.stats.total_time == 14.1875);
	scenario_end(&s);
}

/* Without end-live, an extended live stage runs into the time cap. */
static void test_mplm_extend_live_needs_end_live(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 1024, 512, 1023, 1000, MPLM_ALG_MPLM);
	s.c.extend_live_at = 0;
	s.c.params.max_total_time = 30;
	assert_int_equal(scenario_try(&s), 0);
	assert_int_equal(s.r.stats.status, MPLM_STATUS_NOT_CONVERGED);
	assert_true(s.r.stats.total_time >= 30 && s.r.stats.total_time < 31);
	scenario_end(&s);
}

/*
 * Pre-copy, 1024 pages, hot pages 0-199 written every second until 30 s.
 * The threshold is 524,288 B/s x 0.3 s = 38.4 pages. The guest dirties
 * 200 pages/s, more than the 38.4 pages the limit allows, so the live
 * stage cannot end while the program runs: each pass finds the 200 hot
 * pages dirty again. After 30 s nothing is written; within two more
 * passes of at most 238 pages (1.86 s each) pre-copy converges, with a
 * downtime under the limit.
 */
static void test_precopy_converges_only_after_trace_end(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 1024, 0, 199, 30, MPLM_ALG_PRECOPY);
	scenario_run(&s);
	assert_int_equal(s.r.stats.status, MPLM_STATUS_COMPLETED);
	assert_true(s.r.stats.total_time > 30);
	assert_true(s.r.stats.total_time < 30 + 2 * 238.0 / 128);
	assert_true(s.r.stats.downtime <= 0.3);
	/* Every live sync while the program ran found the hot pages dirty. */
	for (size_t i = 1; i < s.r.nsyncs && s.r.syncs[i].time <= 30; i++)
		assert_true(s.r.syncs[i].d_size >= 200);

	/* With a cap of 20 s it is reported as not converged. */
	s.c.params.max_total_time = 20;
	assert_int_equal(scenario_try(&s), 0);
	assert_int_equal(s.r.stats.status, MPLM_STATUS_NOT_CONVERGED);
	assert_true(s.r.stats.remaining >= 38 * 4096);

	/* A downtime limit of 2 s (256 pages): the first sync comes when 255
	 * pages are left, after 769 pages (6.0078 s), and re-marks the 200 hot
	 * pages (455). 200 pages later (pages 769-968) 255 are left again;
	 * the sync finds only pages already marked: stop, 255 pages of
	 * downtime. */
	s.c.params.max_total_time = 3600;
	s.c.params.downtime_limit = 2;
	scenario_run(&s);
	assert_int_equal(s.r.stats.status, MPLM_STATUS_COMPLETED);
	assert_int_equal(s.r.nsyncs, 4);
	assert_int_equal(s.r.syncs[1].d_size, 455);
	assert_int_equal(s.r.syncs[2].d_size, 255);
	assert_true(s.r.stats.total_time == (769 + 200 + 255) / 128.0);
	assert_true(s.r.stats.downtime == 255 / 128.0);
	scenario_end(&s);
}

/* max-iterations stops pre-copy after that many dirty syncs, converged
 * or not (Cloud Hypervisor's bounded passes). */
static void test_precopy_max_iterations(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 1024, 0, 199, 1000, MPLM_ALG_PRECOPY);
	s.c.params.max_iterations = 5;
	scenario_run(&s);
	assert_int_equal(s.r.stats.status, MPLM_STATUS_COMPLETED);
	assert_int_equal(s.r.nsyncs, 1 + 5 + 1);
	assert_true(s.r.stats.downtime > 0.3);
	scenario_end(&s);
}

/* Stop-and-copy: everything in the downtime, 1024 pages = 8 s. */
static void test_stopcopy(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 1024, 0, 1023, 100, MPLM_ALG_STOPCOPY);
	scenario_run(&s);
	assert_true(s.r.stats.total_time == 8.0);
	assert_true(s.r.stats.downtime == 8.0);
	assert_int_equal(s.r.stats.normal, 1024);
	assert_int_equal(s.r.nsyncs, 2);
	scenario_end(&s);
}

/* Zero pages go as markers (header + 1 byte); pages past the trace in a
 * larger VM are zero unless declared static non-zero. */
static void test_zero_pages_and_larger_vm(void **state)
{
	(void)state;
	struct scenario s;
	scenario_hot(&s, 64, 20, 20, 1, MPLM_ALG_STOPCOPY);
	/* The same trace with pages 0-9 non-zero from the start. */
	FILE *f = fopen(s.path, "w");
	fputs("mplm-trace 1\npage-size 4096\npages 64\ninterval-us 1000000\n"
	      "p 0-9\nd 1000000 20\ne 1000000\n", f);
	fclose(f);
	s.c.header_bytes = 8;
	s.c.vm_bytes = 128 * 4096;
	s.c.start_at = 5; /* page 20 was written at 1 s: non-zero */
	scenario_run(&s);
	assert_int_equal(s.r.stats.normal, 11);
	assert_int_equal(s.r.stats.duplicate, 128 - 11);
	assert_int_equal(s.r.stats.transferred, 11 * 4104 + 117 * 9);

	s.c.untraced_nonzero = true;
	scenario_run(&s);
	assert_int_equal(s.r.stats.normal, 11 + 64);

	/* At the top of the VM (pages 64-127) with 16 pages of static data
	 * below it (48-63): 11 + 16 non-zero pages, the invariant holds with
	 * the trace's pages moved. */
	s.c.untraced_nonzero = false;
	s.c.placement = SIM_PLACE_TOP;
	s.c.static_bytes = 16 * 4096;
	scenario_run(&s);
	assert_int_equal(s.r.stats.normal, 11 + 16);
	assert_int_equal(s.r.stats.duplicate, 128 - 27);

	/* Static data that does not fit is refused. */
	s.c.static_bytes = 65 * 4096;
	assert_int_equal(scenario_try(&s), -1);
	assert_non_null(strstr(s.r.error, "do not fit"));
	scenario_end(&s);
}

/* The observer sees the page states of the first scenario: after sync 1,
 * pages 0-255 were sent and are clean, 256-999 are still in ND, and
 * 1000-1023 are dirty before their first send; after sync 2 those 24 were
 * sent and written again. */
struct observed {
	unsigned syncs;
	enum sim_page_state after1[1024], after2[1024];
};

static void observe(void *arg, const struct sim_snapshot *snap)
{
	struct observed *o = arg;
	enum sim_page_state *into = snap->rec->index == 1 ? o->after1
				    : snap->rec->index == 2 ? o->after2
							    : NULL;
	o->syncs++;
	assert_int_equal(snap->vm_pages, 1024);
	for (uint64_t p = 0; into && p < snap->vm_pages; p++)
		into[p] = sim_page_state(snap, p);
}

static void test_observer_page_states(void **state)
{
	(void)state;
	struct scenario s;
	struct observed o = { 0 };
	scenario_hot(&s, 1024, 1000, 1023, 1000, MPLM_ALG_MPLM);
	s.c.observer = observe;
	s.c.observer_arg = &o;
	scenario_run(&s);
	assert_int_equal(o.syncs, s.r.nsyncs);
	for (unsigned p = 0; p < 1024; p++) {
		enum sim_page_state want1 = p < 256    ? SIM_PAGE_CLEAN
					    : p < 1000 ? SIM_PAGE_ND
						       : SIM_PAGE_UNSENT;
		assert_int_equal(o.after1[p], want1);
		enum sim_page_state want2 = p < 488    ? SIM_PAGE_CLEAN
					    : p < 1000 ? SIM_PAGE_ND
						       : SIM_PAGE_DIRTY;
		assert_int_equal(o.after2[p], want2);
	}
	scenario_end(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mplm_small_dirty_set),
		cmocka_unit_test(test_mplm_split_50_50),
		cmocka_unit_test(test_mplm_dirtypercents),
		cmocka_unit_test(test_mplm_extend_live),
		cmocka_unit_test(test_mplm_extend_live_skips_downtime_test),
		cmocka_unit_test(test_mplm_extend_live_needs_end_live),
		cmocka_unit_test(test_precopy_converges_only_after_trace_end),
		cmocka_unit_test(test_precopy_max_iterations),
		cmocka_unit_test(test_stopcopy),
		cmocka_unit_test(test_zero_pages_and_larger_vm),
		cmocka_unit_test(test_observer_page_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

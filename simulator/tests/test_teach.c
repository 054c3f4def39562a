/*
 * test_teach.c - teaching mode: the narration says what the hand-worked
 * scenarios of test_policies.c say, agrees with the run on random
 * workloads, and the memory maps count every page once.
 *
 * The scenarios use test_policies.c's link: 128 pages/s (4096-byte pages,
 * no header, 524,288 B/s), free dirty log syncs and no CPU state, so every
 * number below can be worked out by hand; the derivations are above each
 * test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "classroom.h"
#include "explain.h"
#include "memmap.h"
#include "teach.h"

/* The classroom trace (classroom.h) in a malloc'd path, for unlink+free. */
static char *hot_trace(unsigned pages, unsigned lo, unsigned hi, unsigned end)
{
	char *path = malloc(CLASSROOM_PATH_LEN);
	assert_non_null(path);
	classroom_trace(path, pages, lo, hi, end);
	return path;
}

static void record_ok(const struct sim_config *c, uint64_t cells,
		      struct teach_run *run)
{
	if (teach_record(c, cells, run) != 0)
		fail_msg("teach_record: %s", run->res.error);
}

/* The narration of frame i, with its line breaks undone. */
static char *text_of(const struct teach_run *run, size_t i)
{
	char *t = i < run->nframes ? explain_sync(run, i) : explain_outcome(run);
	assert_non_null(t);
	return t;
}

static void expect_in(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("missing \"%s\" in:\n%s", want, text);
}

static void expect_not_in(const char *text, const char *unwanted)
{
	if (strstr(text, unwanted))
		fail_msg("unexpected \"%s\" in:\n%s", unwanted, text);
}

/* Frame i's narration has every one of the strings. */
static void expect_frame(const struct teach_run *run, size_t i, ...)
{
	va_list ap;
	char *t = text_of(run, i);
	va_start(ap, i);
	for (const char *w; (w = va_arg(ap, const char *));)
		expect_in(t, w);
	va_end(ap);
	free(t);
}

/*
 * MPLM, 1024 pages, hot pages 1000-1023 written every second (the
 * scenario of test_mplm_small_dirty_set): epoch 0 sends 256 ND pages in
 * 2 s; sync 1 moves the 24 hot pages from ND to D (ND 1024-256-24 = 744).
 * Epoch 1: ND50 D24, then D is out and the other 182 slots go to ND: 232
 * ND slots, more than the 50 + 50 + 50 = 150 of 256 slots the batches
 * give; the 24 are written again. Each epoch restarts the batch at slot 0
 * (D ran out). ND: 744 -> 512 -> 280 -> 48; epoch 4 sends the 48 (slots
 * 0-47, ND's) and ND is empty at 8 + 48/128 = 8.375 s. The downtime
 * sends D's 24 pages: 98,304 bytes, 0.1875 s. 1,000 + 3 x 24 + 24 = 1,096
 * pages sent in all.
 */
static void test_mplm_narration(void **state)
{
	(void)state;
	char *path = hot_trace(1024, 1000, 1023, 1000);
	struct sim_config c;
	struct teach_run run;
	classroom_config(&c, path, MPLM_ALG_MPLM);
	record_ok(&c, 4096, &run);
	assert_int_equal(run.nframes, 6);

	expect_frame(&run, 0, "Sync 0 at 0.000 s (setup)",
		     "MPLM puts all 1,024 pages (4.0 MiB) in ND",
		     "Pages go in batches of 100 slots: 50 for ND, then 50 for D, the batches running on across syncs; when D runs out, every slot goes to ND until the next sync.",
		     "ND gets at least 50 % of the link's 128.0 pages/s = 64.0 pages/s, so it empties within about 1,024 / 64.0 = 16.000 s",
		     "157,286 bytes (38.4 pages)", NULL);
	expect_frame(&run, 1, "Sync 1 at 2.000 s, 2.000 s after sync 0",
		     "Why now: epoch 0 had run for intervaltime = 2.000 s.",
		     "it sent 256 pages from ND and 0 from D: 1,048,576 bytes, 2.000 s of link time.",
		     "ND had 256 of the 256 slots (100.0 %): epoch 0 gives every slot to ND (firstnondirty).",
		     "The guest dirtied 24 distinct pages in those 2.000 s (12 pages/s): 24 had never been sent and move from ND to D.",
		     "Now D = 24 pages and ND = 744 pages; 256 pages are at the destination and clean.",
		     "ND still holds 744 never-sent pages and pending D + ND = 768 pages = 3.0 MiB is more than bandwidth x downtime-limit = 524,288 bytes/s x 0.300 s = 157,286 bytes (38.4 pages), so MPLM goes on with epoch 1.",
		     "ND empties within 744 / 64.0 = 11.625 s.", NULL);
	expect_frame(&run, 2, "it sent 232 pages from ND and 24 from D",
		     "ND had 232 of the 256 slots (90.6 %), more than the 150 the batches give: D ran out of pages, and from then on every slot went to ND until this sync.",
		     "24 had been sent already and must go again.",
		     "Now D = 24 pages and ND = 512 pages", NULL);
	expect_frame(&run, 5, "Sync 5 at 8.375 s (final, inside the downtime)",
		     "At 8.375 s, 0.375 s into epoch 4, the last ND page was sent. ND is now empty",
		     "it sent 48 pages from ND and 0 from D",
		     "ND had 48 of the 48 slots (100.0 %): in each batch of 100 the first 50 slots are ND's, and the epoch began with a fresh batch.",
		     "The guest dirtied no pages since sync 4.",
		     "D 24 + ND 0 pages = 24 full x 4,096 bytes: 98,304 bytes",
		     "Downtime: 0.188 s (measured: 0.188 s)", NULL);
	expect_frame(&run, 6, "Completed in 8.562 s: a live stage of 8.375 s with 4 live syncs, then 0.188 s of downtime.",
		     "1,096 pages went over the link for a 1,024-page VM (1.07 x its memory); 24 of them while paused.", NULL);
	for (size_t i = 0; i < run.nframes; i++) {
		char *t = text_of(&run, i);
		expect_not_in(t, "(The run");
		free(t);
	}
	teach_run_free(&run);
	unlink(path);
	free(path);
}

/*
 * MPLM, hot pages 512-1023 (test_mplm_split_50_50): epoch 1 runs ND50
 * D50 ND50 D50 ND50 D6, leaving the batch at slot 56; epoch 2 goes on
 * from there: D44 ND50 D50 ND50 D50 ND6, and ND is empty after 250 slots
 * (106 ND, as the batches give) at 4 + 250/128 = 5.953 s.
 */
static void test_mplm_batch_runs_on(void **state)
{
	(void)state;
	char *path = hot_trace(1024, 512, 1023, 1000);
	struct sim_config c;
	struct teach_run run;
	classroom_config(&c, path, MPLM_ALG_MPLM);
	record_ok(&c, 4096, &run);
	assert_int_equal(run.nframes, 4);
	expect_frame(&run, 2, "ND had 150 of the 256 slots (58.6 %): in each batch of 100 the first 50 slots are ND's, and the epoch began with a fresh batch.", NULL);
	expect_frame(&run, 3, "Sync 3 at 5.953 s (final",
		     "it sent 106 pages from ND and 144 from D",
		     "ND had 106 of the 250 slots (42.4 %): in each batch of 100 the first 50 slots are ND's, and the batches ran on from slot 56,",
		     "Downtime: 4.000 s (measured: 4.000 s)", NULL);
	teach_run_free(&run);
	unlink(path);
	free(path);
}

/*
 * Pre-copy, 256 pages, nothing written. The threshold is 38.4 pages: the
 * first pass sends 256 - 38 = 218 pages (892,928 bytes, 1.703 s), syncs
 * with 38 left, finds nothing dirty and stops; 38 pages = 155,648 bytes
 * are sent in 0.297 s of downtime, under the 0.300 s limit.
 */
static void test_precopy_converges(void **state)
{
	(void)state;
	char *path = hot_trace(256, 1, 0, 10);
	struct sim_config c;
	struct teach_run run;
	classroom_config(&c, path, MPLM_ALG_PRECOPY);
	record_ok(&c, 4096, &run);
	assert_int_equal(run.nframes, 3);

	expect_frame(&run, 0, "Pre-copy marks all 256 pages (1.0 MiB) to send: D = 256 pages.",
		     "Whenever the pages still marked fall under bandwidth x downtime-limit = 524,288 bytes/s x 0.300 s = 157,286 bytes (38.4 pages), it reads the dirty log", NULL);
	expect_frame(&run, 1, "Why now: only 38 pages = 152.0 KiB were left to send, under the 38.4 pages that fit in the downtime limit.",
		     "Since sync 0 it sent 218 pages: 892,928 bytes, 1.703 s of link time.",
		     "The guest dirtied no pages since sync 0.",
		     "Pending 38 pages = 152.0 KiB is less than bandwidth x downtime-limit = 524,288 bytes/s x 0.300 s = 157,286 bytes (38.4 pages), so pre-copy stops the live stage", NULL);
	expect_frame(&run, 2, "The guest was paused at 1.703 s, as decided at sync 1.",
		     "38 full x 4,096 bytes: 155,648 bytes, 0.297 s at 524,288 bytes/s.",
		     "Downtime: 0.297 s (measured: 0.297 s); the downtime-limit is 0.300 s", NULL);
	teach_run_free(&run);
	unlink(path);
	free(path);
}

/*
 * Pre-copy, 1024 pages, hot pages 0-199 written every second until 30 s.
 * The first pass sends 986 pages and syncs at 986/128 = 7.703 s: the 200
 * hot pages, all sent early in the pass, must go again; D = 38 + 200.
 * The next pass sends 986-1023 and 0-161 (200 pages, 1.562 s) and syncs
 * with 162-199 left: the writes at 8 and 9 s dirty 0-199 again, 162 of
 * them already sent and 38 still waiting: D = 200. From then on each pass
 * sends 162 pages (1.266 s, one write in between) and the sync finds D at
 * 200 again: pending does not shrink, and with 38 pages still marked at
 * each sync there is room for no newly dirtied page under 38.4.
 */
static void test_precopy_not_converging(void **state)
{
	(void)state;
	char *path = hot_trace(1024, 0, 199, 30);
	struct sim_config c;
	struct teach_run run;
	classroom_config(&c, path, MPLM_ALG_PRECOPY);
	record_ok(&c, 4096, &run);

	expect_frame(&run, 1, "Sync 1 at 7.703 s",
		     "Since sync 0 it sent 986 pages",
		     "200 had been sent already and must go again.",
		     "Pending 238 pages = 952.0 KiB is more than bandwidth x downtime-limit",
		     "so pre-copy keeps going", NULL);
	expect_frame(&run, 2, "Sync 2 at 9.266 s, 1.562 s after sync 1",
		     "Since sync 1 it sent 200 pages",
		     "162 had been sent already and must go again, 38 were already waiting in D.",
		     "Now D, the pages marked to send, holds 200 pages",
		     "Pending 200 pages = 800.0 KiB is more than", NULL);
	expect_frame(&run, 3, "Sync 3 at 10.531 s, 1.266 s after sync 2",
		     "Since sync 2 it sent 162 pages",
		     "Pending did not shrink since sync 2 (200 -> 200 pages). To stop, it must be under 38.4 pages after a sync; with 38 still marked when pre-copy syncs, that leaves room for 0 newly dirtied pages",
		     NULL);
	expect_frame(&run, run.nframes, "Completed in", NULL);
	teach_run_free(&run);

	/* With a 5 s cap it gives up while the program still runs. */
	c.params.max_total_time = 5;
	record_ok(&c, 4096, &run);
	expect_frame(&run, run.nframes, "Not converged: after max-time = 5.000 s the live stage was still running",
		     "The migration gives up and the guest keeps running on the source.", NULL);
	teach_run_free(&run);
	unlink(path);
	free(path);
}

/* Auto-converge on the not-converging scenario above: sync 1 (7.703 s)
 * closes QEMU's first period, which only measures the rate. Syncs 2, 3
 * and 4 close periods of over 1 s (1.562, 1.266, 1.266 s) in which 162
 * pages were newly marked (648.0 KiB) while 200, 162 and 162 pages went
 * out (800.0, 648.0, 648.0 KiB): more than half each time, so the counter
 * goes 1, 2, then reaches 3 and the guest is throttled to
 * cpu-throttle-initial = 20 %. */
static void test_autoconverge_narration(void **state)
{
	(void)state;
	char *path = hot_trace(1024, 0, 199, 30);
	struct sim_config c;
	struct teach_run run;
	classroom_config(&c, path, MPLM_ALG_PRECOPY);
	c.params.auto_converge = true;
	record_ok(&c, 4096, &run);
	assert_true(run.nframes > 5);
	expect_frame(&run, 1, "Auto-converge: this sync closes the first period of over 1 s",
		     "the guest is not throttled.", NULL);
	expect_frame(&run, 2, "the guest dirtied 162 pages newly (648.0 KiB) and 800.0 KiB went out; 648.0 KiB is more than half of that (400.0 KiB), so the counter of such periods goes to 1 of 3",
		     NULL);
	expect_frame(&run, 3, "dirtied 162 pages newly (648.0 KiB) and 648.0 KiB went out",
		     "the counter of such periods goes to 2 of 3", NULL);
	expect_frame(&run, 4, "the counter of such periods reached 3 and restarts at 0: the guest is throttled to 20 % (cpu-throttle-initial); the guest runs 80 % of the time (throttle 20 %).",
		     NULL);
	teach_run_free(&run);
	unlink(path);
	free(path);
}

/* max-iterations = 1 stops at the first live sync whatever is pending. */
static void test_precopy_max_iterations(void **state)
{
	(void)state;
	char *path = hot_trace(1024, 0, 199, 30);
	struct sim_config c;
	struct teach_run run;
	classroom_config(&c, path, MPLM_ALG_PRECOPY);
	c.params.max_iterations = 1;
	record_ok(&c, 4096, &run);
	assert_int_equal(run.nframes, 3);
	expect_frame(&run, 1, "Pending 238 pages = 952.0 KiB is still more than",
		     "but this was live sync 1 of max-iterations = 1, so pre-copy stops the live stage anyway.", NULL);
	expect_frame(&run, 0, "It also stops after max-iterations = 1 live syncs.", NULL);
	teach_run_free(&run);
	unlink(path);
	free(path);
}

/* Post-copy after one pass: the scenario of test_postcopy.c's
 * test_hand_worked_faults (22 faults, each 3/128 s). */
static void test_postcopy_narration(void **state)
{
	(void)state;
	char *path = hot_trace(256, 0, 63, 2);
	struct sim_config c;
	struct teach_run run;
	classroom_config(&c, path, MPLM_ALG_PRECOPY);
	c.params.postcopy_ram = true;
	c.params.postcopy_after_passes = 1;
	c.rtt = 2.0 / 128;
	c.state_bytes = 8192;
	record_ok(&c, 4096, &run);
	assert_int_equal(run.nframes, 3);
	expect_frame(&run, 1, "Pending 102 pages = 408.0 KiB is still more than",
		     "and this was pass 1 of postcopy-after-passes = 1, so pre-copy switches to post-copy", NULL);
	expect_frame(&run, 2, "The guest was paused at 1.703 s, as decided at sync 1.",
		     "Post-copy does not send the 102 pages still to send while paused.",
		     "then 8,192 bytes of CPU and device state, 0.016 s.",
		     "The destination runs the guest after 0.016 s of downtime (measured: 0.016 s).",
		     "there is no way back", NULL);
	expect_frame(&run, 3, "Completed in 2.516 s: pre-copy for 1.703 s with 1 live sync, 0.016 s of downtime at the switch, then 0.797 s of post-copy",
		     "while 102 pages still came",
		     "a remote fault, 22 in all", "rtt = 0.015625 s",
		     "0.516 s in all (0.023438 s each on average)", NULL);
	teach_run_free(&run);
	unlink(path);
	free(path);
}

/* With the measured rate the records carry the rate and threshold the
 * engine used (here the link's 128 pages/s, measured): the narration
 * gives the numbers. */
static void test_precopy_measured_bandwidth(void **state)
{
	(void)state;
	char *path = hot_trace(1024, 0, 199, 30);
	struct sim_config c;
	struct teach_run run;
	classroom_config(&c, path, MPLM_ALG_PRECOPY);
	c.params.threshold_bandwidth = MPLM_THRESHOLD_MEASURED;
	record_ok(&c, 4096, &run);
	expect_frame(&run, 0, "(bandwidth: the rate measured over the last 100 ms)", NULL);
	expect_frame(&run, 1, "under the 38.4 pages that fit in the downtime limit at the rate measured over the last 100 ms.",
		     "Pending 238 pages = 952.0 KiB is more than bandwidth x downtime-limit = 524,288 bytes/s (measured over the last 100 ms) x 0.300 s = 157,286 bytes (38.4 pages), so pre-copy keeps going",
		     NULL);
	for (size_t i = 0; i <= run.nframes; i++) {
		char *t = text_of(&run, i);
		expect_not_in(t, "(The run");
		free(t);
	}
	teach_run_free(&run);
	unlink(path);
	free(path);
}

static void test_stopcopy(void **state)
{
	(void)state;
	char *path = hot_trace(256, 0, 9, 10);
	struct sim_config c;
	struct teach_run run;
	classroom_config(&c, path, MPLM_ALG_STOPCOPY);
	record_ok(&c, 4096, &run);
	assert_int_equal(run.nframes, 2);
	expect_frame(&run, 0, "Stop-and-copy has no live stage", NULL);
	expect_frame(&run, 1, "Stop-and-copy paused the guest right after setup.",
		     "D 256 + ND 0 pages = 256 full x 4,096 bytes: 1,048,576 bytes, 2.000 s",
		     "Downtime: 2.000 s (measured: 2.000 s)", NULL);
	teach_run_free(&run);
	unlink(path);
	free(path);
}

/* "Downtime: X s (measured: Y s)": the prediction from the last frame's
 * sets must be the run's downtime. */
static void check_downtime_prediction(const struct teach_run *run)
{
	char *t = text_of(run, run->nframes - 1);
	const char *p = strstr(t, "Downtime: ");
	double predicted = 0, measured = -1;
	if (!p || sscanf(p, "Downtime: %lf s (measured: %lf s)", &predicted, &measured) != 2)
		fail_msg("no downtime sentence in:\n%s", t);
	assert_true(predicted - measured < 0.0015 && measured - predicted < 0.0015);
	free(t);
}

/* Every frame: the states partition the pages, and pending = D + ND. */
static void check_frame_counts(const struct teach_run *run)
{
	for (size_t i = 0; i < run->nframes; i++) {
		const struct teach_frame *f = &run->frames[i];
		uint64_t sum = 0, cells[TEACH_NSTATES] = { 0 };
		for (int s = 0; s < TEACH_NSTATES; s++)
			sum += f->count[s];
		assert_int_equal(sum, run->pages);
		assert_int_equal(run->pages - f->count[SIM_PAGE_CLEAN],
				 f->rec.d_size + f->rec.nd_size);
		if (run->pages_per_cell == 1) {
			for (uint64_t c = 0; c < run->ncells; c++)
				cells[f->cells[c]]++;
			assert_memory_equal(cells, f->count, sizeof(cells));
		}
		assert_true(run->ncells <= run->max_cells);
	}
}

/* Random small workloads, every algorithm, with the default costs and the
 * simple ones: the narration never contradicts what the run did, and the
 * downtime it predicts is the one measured. */
static void test_narration_agrees_with_runs(void **state)
{
	(void)state;
	static const char *const patterns[] = { "uniform", "sequential", "hotspot", "stencil" };
	static const enum mplm_algorithm algs[] = { MPLM_ALG_PRECOPY, MPLM_ALG_MPLM, MPLM_ALG_STOPCOPY };
	unsigned runs = 0;

	for (unsigned seed = 1; seed <= 12; seed++) {
		char spec[160];
		snprintf(spec, sizeof(spec), "%s,pages=%u,wss=%uK,rate=%u,duration=%u,seed=%u",
			 patterns[seed % 4], 128 + 64 * seed, 256 + 128 * (seed % 5),
			 20 + 37 * seed, 5 + seed % 7, seed);
		for (size_t a = 0; a < 3; a++) {
			struct sim_config c;
			struct teach_run run;
			sim_config_default(&c);
			c.workload_spec = spec;
			c.params.algorithm = algs[a];
			c.params.max_bandwidth = CLASSROOM_RATE;
			c.params.intervaltime = 0.5 + 0.25 * (seed % 3);
			c.params.dirtypercents = 10 * (seed % 11);
			c.params.downtime_limit = 0.05 * seed;
			c.params.max_total_time = 60;
			c.params.firstnondirty = seed % 4 != 3;
			c.params.relaxlivemig = seed % 5 == 2;
			/* The batch replay below models the paper's MPLM. */
			c.params.mplm_variant = MPLM_VARIANT_PAPER;
			c.params.threshold_bandwidth = MPLM_THRESHOLD_MAX_BANDWIDTH;
			if (seed % 2) { /* the simple costs of --simple */
				c.header_bytes = c.state_bytes = 0;
				c.sync_fixed = c.sync_per_page = 0;
			}
			record_ok(&c, seed % 3 ? 4096 : 64, &run);
			check_frame_counts(&run);
			for (size_t i = 0; i <= run.nframes; i++) {
				char *t = text_of(&run, i);
				expect_not_in(t, "(The run");
				expect_not_in(t, "measured rate");
				/* The batch replay always explains the split:
				 * the model of mplm_paper.c holds. */
				expect_not_in(t, "fewer than the");
				if (strstr(t, "ND had ") && !strstr(t, "firstnondirty).") &&
				    !strstr(t, "the batches give: D ran out") &&
				    !strstr(t, "the batches ran on from slot") &&
				    !strstr(t, "began with a fresh batch"))
					fail_msg("slots not explained:\n%s", t);
				free(t);
			}
			if (run.res.stats.status == MPLM_STATUS_COMPLETED)
				check_downtime_prediction(&run);
			teach_run_free(&run);
			runs++;
		}
	}
	assert_int_equal(runs, 36);
}

/* The defaults (qemu-mplm's MPLM, QEMU 2.9's measured threshold) on
 * random small workloads: every live sync says why it happened and what
 * the engine decided, from the records, and the downtime predicted from
 * the last frame is the run's. */
static void test_default_variant_narration(void **state)
{
	(void)state;
	static const char *const verdicts[] = {
		"keeps going", "goes on with epoch", "stops the live stage",
		"keeps the live stage going",
	};
	for (unsigned seed = 1; seed <= 8; seed++) {
		char spec[160];
		snprintf(spec, sizeof(spec), "uniform,pages=%u,wss=%uK,rate=%u,duration=%u,seed=%u",
			 128 + 64 * seed, 512, 20 + 37 * seed, 5 + seed % 7, seed);
		for (int a = 0; a < 2; a++) {
			struct sim_config c;
			struct teach_run run;
			sim_config_default(&c);
			c.workload_spec = spec;
			c.params.algorithm = a ? MPLM_ALG_MPLM : MPLM_ALG_PRECOPY;
			c.params.intervaltime = 0.5 + 0.25 * (seed % 3);
			c.params.max_total_time = 60;
			c.link_bandwidth = c.params.max_bandwidth = CLASSROOM_RATE;
			c.header_bytes = c.state_bytes = 0;
			c.sync_fixed = c.sync_per_page = 0;
			record_ok(&c, 4096, &run);
			for (size_t i = 1; i + 1 < run.nframes; i++) {
				char *t = text_of(&run, i);
				bool said = false;
				for (size_t k = 0; k < 4; k++)
					said = said || strstr(t, verdicts[k]);
				if (!strstr(t, "Why now: ") || !said)
					fail_msg("sync %zu without a cause or a verdict:\n%s", i, t);
				free(t);
			}
			if (run.res.stats.status == MPLM_STATUS_COMPLETED)
				check_downtime_prediction(&run);
			teach_run_free(&run);
		}
	}
}

/* Large VMs: cells group pages, the map keeps to its size. */
static void test_cells_group_pages(void **state)
{
	(void)state;
	struct sim_config c;
	struct teach_run run;
	sim_config_default(&c);
	c.workload_spec = "uniform,pages=10000,wss=20M,rate=5000,duration=5,seed=4";
	record_ok(&c, 1024, &run);
	assert_int_equal(run.pages, 10000);
	assert_int_equal(run.pages_per_cell, 10);
	assert_int_equal(run.ncells, 1000);
	assert_int_equal(teach_cell_first(&run, 999), 9990);
	check_frame_counts(&run);
	teach_run_free(&run);
}

static void test_numbers(void **state)
{
	(void)state;
	assert_string_equal(teach_count(0).s, "0");
	assert_string_equal(teach_count(999).s, "999");
	assert_string_equal(teach_count(1000).s, "1,000");
	assert_string_equal(teach_count(1234567).s, "1,234,567");
	assert_string_equal(teach_real(157286.4, 1).s, "157,286.4");
	assert_string_equal(teach_real(-1234.5, 0).s, "-1,234");
	assert_string_equal(teach_size(1).s, "1 byte");
	assert_string_equal(teach_size(155648).s, "152.0 KiB");
	assert_string_equal(teach_size(37500000).s, "35.8 MiB");
}

static void test_wrap(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	explain_wrap(f, "Heading line\none two three four five six seven eight nine ten", 20);
	fclose(f);
	assert_string_equal(buf, "Heading line\n  one two three four\n  five six seven\n  eight nine ten\n");
	free(buf);
}

/* The terminal map: one character per cell, colour only when asked. */
static void test_terminal_map(void **state)
{
	(void)state;
	char *path = hot_trace(128, 100, 109, 100);
	struct sim_config c;
	struct teach_run run;
	char *buf = NULL;
	size_t len;
	classroom_config(&c, path, MPLM_ALG_MPLM);
	record_ok(&c, MEMMAP_TERM_CELLS, &run);

	FILE *f = open_memstream(&buf, &len);
	memmap_print(f, &run, 1, false);
	fclose(f);
	expect_in(buf, "Memory map: MPLM, sync 1 at 1.000 s (final, guest paused)\n");
	/* Epoch 0 sends all 128 pages (ND) in 1 s: ND is empty and the
	 * final sync at 1 s finds 100-109, written at 1 s, dirty again. */
	expect_in(buf, "      0 ################################################################\n");
	expect_in(buf, "     64 ####################################DDDDDDDDDD##################\n");
	expect_in(buf, "# sent and clean: 118");
	expect_in(buf, "D in D, dirty again: 10");
	expect_not_in(buf, "\033[");
	free(buf);

	f = open_memstream(&buf, &len);
	memmap_print(f, &run, 1, true);
	fclose(f);
	expect_in(buf, "\033[97;48;5;166mDDDDDDDDDD");
	free(buf);
	teach_run_free(&run);
	unlink(path);
	free(path);
}

/* ---------------------------------------------------------------- */
/* Images. */

static bool have_gnuplot(void)
{
	return system("gnuplot -e 'exit' >/dev/null 2>&1") == 0;
}

static bool is_png(const char *path)
{
	unsigned char sig[8];
	FILE *f = fopen(path, "rb");
	bool ok = f && fread(sig, 1, 8, f) == 8 && memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0;
	if (f)
		fclose(f);
	return ok;
}

/* Skip a GIF's data sub-blocks. */
static long skip_blocks(const unsigned char *g, long i, long n)
{
	while (i < n && g[i])
		i += g[i] + 1;
	return i + 1;
}

/* Frames of a GIF, walking its blocks; -1 if malformed. *loops is set
 * when it has the NETSCAPE2.0 (animation loop) extension. */
static int gif_frames(const char *path, bool *loops)
{
	static unsigned char g[8 << 20];
	FILE *f = fopen(path, "rb");
	long n = f ? (long)fread(g, 1, sizeof(g), f) : 0;
	int frames = 0;
	if (f)
		fclose(f);
	*loops = false;
	if (n < 13 || memcmp(g, "GIF89a", 6) != 0)
		return -1;
	long i = 13;
	if (g[10] & 0x80)
		i += 3L << ((g[10] & 7) + 1);
	while (i < n) {
		if (g[i] == 0x3b)
			return frames;
		if (g[i] == 0x21) {
			if (i + 14 < n && memcmp(&g[i + 3], "NETSCAPE2.0", 11) == 0)
				*loops = true;
			i = skip_blocks(g, i + 2, n);
		} else if (g[i] == 0x2c) {
			unsigned char flags = g[i + 9];
			i += 10;
			if (flags & 0x80)
				i += 3L << ((flags & 7) + 1);
			i = skip_blocks(g, i + 1, n); /* after the LZW code size */
			frames++;
		} else {
			return -1;
		}
	}
	return -1;
}

static void test_images(void **state)
{
	(void)state;
	if (!have_gnuplot()) {
		fprintf(stderr, "SKIP test_images: no gnuplot\n");
		skip();
	}
	char *path = hot_trace(1024, 1000, 1023, 1000);
	char dir[] = "/tmp/mplm-teach-img-XXXXXX", err[512], file[600];
	struct sim_config c;
	struct teach_run run;
	bool loops;
	assert_non_null(mkdtemp(dir));
	classroom_config(&c, path, MPLM_ALG_MPLM);
	record_ok(&c, MEMMAP_IMAGE_CELLS, &run);

	snprintf(file, sizeof(file), "%s/png", dir);
	if (memmap_write_pngs(&run, file, err, sizeof(err)) != 6)
		fail_msg("PNGs: %s", err);
	for (int i = 0; i < 6; i++) {
		snprintf(file, sizeof(file), "%s/png/sync-%03d.png", dir, i);
		assert_true(is_png(file));
		unlink(file);
	}
	snprintf(file, sizeof(file), "%s/png/sync-006.png", dir);
	assert_int_equal(access(file, F_OK), -1);
	snprintf(file, sizeof(file), "%s/png", dir);
	rmdir(file);

	snprintf(file, sizeof(file), "%s/run.gif", dir);
	if (memmap_write_gif(&run, file, err, sizeof(err)) != 6)
		fail_msg("GIF: %s", err);
	assert_int_equal(gif_frames(file, &loops), 6 + 2); /* last held */
	assert_true(loops);
	unlink(file);

	/* Failures come back as one line. */
	setenv("MPLM_GNUPLOT", "/nonexistent/gnuplot", 1);
	assert_int_equal(memmap_write_gif(&run, file, err, sizeof(err)), -1);
	expect_in(err, "cannot run /nonexistent/gnuplot");
	unsetenv("MPLM_GNUPLOT");
	assert_int_equal(memmap_write_gif(&run, "/nonexistent/dir/x.gif", err, sizeof(err)), -1);
	expect_in(err, "gnuplot failed: ");
	assert_null(strchr(err, '\n'));

	rmdir(dir);
	teach_run_free(&run);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mplm_narration),
		cmocka_unit_test(test_postcopy_narration),
		cmocka_unit_test(test_mplm_batch_runs_on),
		cmocka_unit_test(test_precopy_converges),
		cmocka_unit_test(test_precopy_not_converging),
		cmocka_unit_test(test_precopy_max_iterations),
		cmocka_unit_test(test_autoconverge_narration),
		cmocka_unit_test(test_precopy_measured_bandwidth),
		cmocka_unit_test(test_default_variant_narration),
		cmocka_unit_test(test_stopcopy),
		cmocka_unit_test(test_narration_agrees_with_runs),
		cmocka_unit_test(test_cells_group_pages),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_terminal_map),
		cmocka_unit_test(test_images),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_engine.c - the engine against a scripted back end: failures,
 * cancellation, parameter checks and the reports' formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mplm.h"

/* One page per millisecond; a guest that writes page 0 before every sync. */
struct mock {
	double now;
	uint64_t sends, fail_send_at;
	bool stopped, resumed, started;
	int start_result; /* what start_destination answers */
	mplm_migration *m;
	uint64_t cancel_at;
	/* With send_run: at run number lie_at, report one page more than
	 * it sent (lie_past false) or a last page past the run's end. */
	bool runs, lie_past;
	unsigned nruns, lie_at;
};

static double mock_now(void *ctx) { return ((struct mock *)ctx)->now; }

static int mock_sync(void *ctx, mplm_bitmap *dirty)
{
	(void)ctx;
	mplm_bitmap_set(dirty, 0);
	return 0;
}

static int mock_send(void *ctx, uint64_t page, struct mplm_page_sent *out)
{
	struct mock *k = ctx;
	(void)page;
	k->now += 0.001;
	k->sends++;
	if (k->cancel_at && k->sends == k->cancel_at)
		mplm_migration_cancel(k->m);
	if (k->fail_send_at && k->sends >= k->fail_send_at)
		return -1;
	out->wire_bytes = 4096;
	out->zero = page % 2;
	return 0;
}

static int mock_run(void *ctx, const uint64_t *set, uint64_t from, uint64_t to,
		    unsigned max, double since, double limit, struct mplm_run_sent *out)
{
	struct mock *k = ctx;
	for (uint64_t p = from; p < to && out->pages < max; p++) {
		if (!((set[p / 64] >> (p % 64)) & 1))
			continue;
		if (out->pages && k->now - since >= limit)
			break;
		k->now += 0.001;
		k->sends++;
		out->pages++;
		out->wire_bytes += 4096;
		out->last = p;
	}
	if (++k->nruns == k->lie_at) {
		if (k->lie_past)
			out->last = to;
		else
			out->pages++;
	}
	return 0;
}

static int mock_stop(void *ctx)
{
	((struct mock *)ctx)->stopped = true;
	return 0;
}

static int mock_resume(void *ctx)
{
	((struct mock *)ctx)->resumed = true;
	return 0;
}

static int mock_state(void *ctx, uint64_t *bytes)
{
	(void)ctx;
	*bytes = 100;
	return 0;
}

static int mock_start(void *ctx)
{
	struct mock *k = ctx;
	k->started = true;
	return k->start_result;
}

static mplm_migration *new_mock_migration(struct mock *k, enum mplm_algorithm alg,
					  uint64_t pages)
{
	struct mplm_params p;
	mplm_params_default(&p);
	p.algorithm = alg;
	p.max_bandwidth = 4096 * 1000.0;
	/* The threshold from the configured rate: the mock's clock is the
	 * pages sent, so 4 MB/s x 0.3 s is 300 pages. */
	p.threshold_bandwidth = MPLM_THRESHOLD_MAX_BANDWIDTH;
	struct mplm_backend be = {
		.ctx = k, .now = mock_now, .sync_dirty_log = mock_sync,
		.send_page = mock_send, .stop_guest = mock_stop,
		.send_state = mock_state, .start_destination = mock_start,
		.resume_source = mock_resume,
		.send_run = k->runs ? mock_run : NULL,
	};
	k->m = mplm_migration_new(pages, 4096, &p, &be);
	assert_non_null(k->m);
	return k->m;
}

static void test_completes_and_counts(void **state)
{
	(void)state;
	struct mock k = { 0 };
	mplm_migration *m = new_mock_migration(&k, MPLM_ALG_PRECOPY, 1000);
	assert_int_equal(mplm_migration_run(m), 0);
	struct mplm_stats st;
	mplm_migration_stats(m, &st);
	assert_int_equal(st.status, MPLM_STATUS_COMPLETED);
	assert_true(k.stopped && k.started && !k.resumed);
	/* Page 0 is written before every sync, so it goes once more in the
	 * downtime: 1001 sends, half of them zero markers. */
	assert_int_equal(k.sends, 1001);
	assert_int_equal(st.normal + st.duplicate, 1001);
	/* transferred counts RAM only, as QEMU's query-migrate ram. */
	assert_int_equal(st.transferred, 1001 * 4096);
	assert_int_equal(st.state_bytes, 100);
	assert_int_equal(st.remaining, 0);
	assert_int_equal(st.total, 1000 * 4096);
	/* Pre-copy stops with under 300 pages (1.2 MB at 4 MB/s x 0.3 s). */
	assert_true(st.downtime > 0 && st.downtime <= 0.3);
	assert_true(st.total_time > 1.0 && st.total_time < 1.01);
	mplm_migration_free(m);
}

/* A send that fails in the live stage: failed, guest never stopped. */
static void test_failure_in_live_stage(void **state)
{
	(void)state;
	struct mock k = { .fail_send_at = 10 };
	mplm_migration *m = new_mock_migration(&k, MPLM_ALG_MPLM, 1000);
	assert_int_equal(mplm_migration_run(m), -1);
	struct mplm_stats st;
	mplm_migration_stats(m, &st);
	assert_int_equal(st.status, MPLM_STATUS_FAILED);
	assert_non_null(st.error);
	assert_false(k.stopped);
	assert_false(k.started);
	mplm_migration_free(m);
}

/* A failure during the downtime: the source guest runs again. */
static void test_failure_in_downtime_resumes_source(void **state)
{
	(void)state;
	struct mock k = { .fail_send_at = 5 };
	mplm_migration *m = new_mock_migration(&k, MPLM_ALG_STOPCOPY, 100);
	assert_int_equal(mplm_migration_run(m), -1);
	assert_true(k.stopped && k.resumed && !k.started);
	mplm_migration_free(m);
}

/* The destination's answer is lost: the source must not resume (the
 * destination may be running the guest), and the status says so. */
static void test_unknown_outcome_keeps_source_paused(void **state)
{
	(void)state;
	struct mock k = { .start_result = MPLM_DEST_UNKNOWN };
	mplm_migration *m = new_mock_migration(&k, MPLM_ALG_PRECOPY, 1000);
	assert_int_equal(mplm_migration_run(m), -1);
	struct mplm_stats st;
	mplm_migration_stats(m, &st);
	assert_int_equal(st.status, MPLM_STATUS_UNKNOWN);
	assert_string_equal(mplm_status_name(st.status), "outcome-unknown");
	assert_true(k.stopped && k.started && !k.resumed);
	assert_non_null(strstr(st.error, "may be running"));
	mplm_migration_free(m);
	/* A refusal (-1) resumes the source. */
	struct mock r = { .start_result = -1 };
	m = new_mock_migration(&r, MPLM_ALG_PRECOPY, 1000);
	assert_int_equal(mplm_migration_run(m), -1);
	mplm_migration_stats(m, &st);
	assert_int_equal(st.status, MPLM_STATUS_FAILED);
	assert_true(r.stopped && r.resumed);
	mplm_migration_free(m);
}

static void test_cancel(void **state)
{
	(void)state;
	struct mock k = { .cancel_at = 300 };
	mplm_migration *m = new_mock_migration(&k, MPLM_ALG_MPLM, 100000);
	assert_int_equal(mplm_migration_run(m), -1);
	struct mplm_stats st;
	mplm_migration_stats(m, &st);
	assert_int_equal(st.status, MPLM_STATUS_CANCELLED);
	/* Noticed at the next engine step, within 256 pages. */
	assert_true(k.sends < 300 + 256);
	assert_false(k.stopped);
	mplm_migration_free(m);
}

/* A send run whose report contradicts the set (one page more than it
 * could send, or a last page outside the run): the migration fails and
 * says so, in the live stage and in the downtime; runs that keep the
 * contract complete. */
static void check_run_contract(struct mock *k, enum mplm_status want, const char *error)
{
	mplm_migration *m = new_mock_migration(k, MPLM_ALG_PRECOPY, 1000);
	assert_int_equal(mplm_migration_run(m), want == MPLM_STATUS_COMPLETED ? 0 : -1);
	struct mplm_stats st;
	mplm_migration_stats(m, &st);
	assert_int_equal(st.status, want);
	if (error)
		assert_non_null(strstr(st.error, error));
	mplm_migration_free(m);
}

static void test_send_run_contract(void **state)
{
	(void)state;
	struct mock ok = { .runs = true };
	check_run_contract(&ok, MPLM_STATUS_COMPLETED, NULL);
	assert_int_equal(ok.sends, 1001);
	assert_true(ok.nruns > 1);
	struct mock more = { .runs = true, .lie_at = 2 };
	check_run_contract(&more, MPLM_STATUS_FAILED,
			   "the back end's send run broke its contract: ");
	assert_false(more.stopped);
	struct mock past = { .runs = true, .lie_at = 3, .lie_past = true };
	check_run_contract(&past, MPLM_STATUS_FAILED, "lies outside the run [");
	struct mock last = { .runs = true, .lie_at = ok.nruns };
	check_run_contract(&last, MPLM_STATUS_FAILED, "where the set had ");
	assert_true(last.stopped && last.resumed);
}

static void test_params_check(void **state)
{
	(void)state;
	struct mplm_params p;
	mplm_params_default(&p);
	assert_int_equal(mplm_params_check(&p, NULL, 0), 0);
	assert_int_equal(p.algorithm, MPLM_ALG_MPLM);
	assert_true(p.downtime_limit == 0.3 && p.intervaltime == 3);
	assert_int_equal(p.dirtypercents, 50);
	/* qemu-mplm's set-mplm-migration defaults; QEMU 2.9's threshold. */
	assert_true(p.firstnondirty && p.relaxlivemig);
	assert_int_equal(p.mplm_variant, MPLM_VARIANT_QEMU_MPLM);
	assert_int_equal(p.threshold_bandwidth, MPLM_THRESHOLD_MEASURED);
	p.dirtypercents = 101;
	assert_int_equal(mplm_params_check(&p, NULL, 0), -1);
	mplm_params_default(&p);
	p.intervaltime = 0;
	assert_int_equal(mplm_params_check(&p, NULL, 0), -1);
	mplm_params_default(&p);
	p.downtime_limit = -1;
	assert_int_equal(mplm_params_check(&p, NULL, 0), -1);

	enum mplm_algorithm a;
	assert_int_equal(mplm_algorithm_parse("precopy", &a), 0);
	assert_int_equal(a, MPLM_ALG_PRECOPY);
	assert_int_equal(mplm_algorithm_parse("stopcopy", &a), 0);
	assert_int_equal(a, MPLM_ALG_STOPCOPY);
	assert_int_equal(mplm_algorithm_parse("postcopy", &a), -1);
	/* A bad parameter set makes no migration. */
	struct mplm_backend be = { 0 };
	p.downtime_limit = -1;
	assert_null(mplm_migration_new(10, 4096, &p, &be));
}

static void test_reports(void **state)
{
	(void)state;
	struct mock k = { 0 };
	mplm_migration *m = new_mock_migration(&k, MPLM_ALG_MPLM, 1000);
	assert_int_equal(mplm_migration_run(m), 0);
	struct mplm_stats st;
	mplm_migration_stats(m, &st);

	char buf[2048];
	size_t n = mplm_format_info_migrate(&st, buf, sizeof(buf));
	assert_true(n < sizeof(buf));
	assert_non_null(strstr(buf, "Migration status: completed\n"));
	assert_non_null(strstr(buf, "total time: "));
	assert_non_null(strstr(buf, " milliseconds\ndowntime: "));
	assert_non_null(strstr(buf, "\ndirty sync count: "));
	/* Truncation is reported, not overflowed. */
	assert_int_equal(mplm_format_info_migrate(&st, buf, 10), n);
	assert_int_equal(strlen(buf), 9);

	size_t nsyncs;
	const struct mplm_sync_record *recs = mplm_migration_syncs(m, &nsyncs);
	struct mplm_params p;
	mplm_params_default(&p);
	char *js = mplm_query_migrate_json(&st, &p, recs, nsyncs);
	json_error_t err;
	json_t *o = json_loads(js, 0, &err);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "completed");
	json_t *ram = json_object_get(o, "ram");
	assert_int_equal(json_integer_value(json_object_get(ram, "transferred")),
			 st.transferred);
	assert_int_equal(json_integer_value(json_object_get(ram, "dirty-sync-count")),
			 st.dirty_sync_count);
	assert_non_null(json_object_get(o, "downtime"));
	json_t *syncs = json_object_get(json_object_get(o, "mplm"), "syncs");
	assert_int_equal(json_array_size(syncs), nsyncs);
	json_decref(o);
	free(js);
	mplm_migration_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_completes_and_counts),
		cmocka_unit_test(test_failure_in_live_stage),
		cmocka_unit_test(test_failure_in_downtime_resumes_source),
		cmocka_unit_test(test_unknown_outcome_keeps_source_paused),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_send_run_contract),
		cmocka_unit_test(test_params_check),
		cmocka_unit_test(test_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

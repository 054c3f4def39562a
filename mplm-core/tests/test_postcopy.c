/*
 * test_postcopy.c - the engine's post-copy against a scripted back end:
 * the switch's order, requests served first and the push's order, the
 * statistics, failures before the switch (the source runs on) and after
 * it (the guest is lost), and the refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mplm.h"

#define PAGES 1000
#define MAX_SENT 4000

/* One page per millisecond (an exact count: the clock is pages sent);
 * a guest that writes page 0 before every sync. Each hook can be made
 * to fail; requests are handed out from a script. */
struct mock {
	uint64_t ticks;          /* ms */
	const char *log[16];     /* the switch's calls, in order */
	unsigned nlog;
	uint64_t sent[MAX_SENT];
	unsigned nsent, sent_at_switch;
	bool stopped, resumed, started, done;
	uint64_t discard_count;
	bool discard_has[PAGES];
	unsigned command_at;     /* migrate-start-postcopy at this send */
	const uint64_t *requests; /* handed out at the first request call */
	unsigned nrequests, handed;
	unsigned late_requests;  /* for page 0, handed out once done is set */
	enum mplm_status status_seen; /* at the first send after the switch */
	bool cancel_after_switch;
	int fail_discard, fail_start, fail_request, fail_done;
	unsigned fail_send_at;   /* 0: never */
	mplm_migration *m;
};

static void note(struct mock *k, const char *what)
{
	if (k->nlog < 16)
		k->log[k->nlog++] = what;
}

static double mock_now(void *ctx) { return (double)((struct mock *)ctx)->ticks / 1000; }

static int mock_sync(void *ctx, mplm_bitmap *dirty)
{
	struct mock *k = ctx;
	if (k->stopped)
		note(k, "sync");
	mplm_bitmap_set(dirty, 0);
	return 0;
}

static int mock_send(void *ctx, uint64_t page, struct mplm_page_sent *out)
{
	struct mock *k = ctx;
	k->ticks++;
	if (k->nsent < MAX_SENT)
		k->sent[k->nsent] = page;
	k->nsent++;
	if (k->started && k->nsent == k->sent_at_switch + 1) {
		struct mplm_stats st;
		mplm_migration_stats(k->m, &st);
		k->status_seen = st.status;
		if (k->cancel_after_switch)
			mplm_migration_cancel(k->m);
	}
	if (k->command_at && k->nsent == k->command_at)
		assert_int_equal(mplm_migration_start_postcopy(k->m, NULL, 0), 0);
	if (k->fail_send_at && k->nsent >= k->fail_send_at)
		return -1;
	out->wire_bytes = 4096;
	out->zero = false;
	return 0;
}

static int mock_stop(void *ctx)
{
	struct mock *k = ctx;
	k->stopped = true;
	note(k, "stop");
	return 0;
}

static int mock_resume(void *ctx)
{
	((struct mock *)ctx)->resumed = true;
	return 0;
}

static int mock_state(void *ctx, uint64_t *bytes)
{
	struct mock *k = ctx;
	note(k, "state");
	k->ticks += 5; /* the state takes 5 ms */
	*bytes = 100;
	return 0;
}

static int mock_start(void *ctx)
{
	struct mock *k = ctx;
	note(k, "start");
	if (k->fail_start)
		return -1;
	k->started = true;
	k->sent_at_switch = k->nsent;
	return 0;
}

static int mock_discard(void *ctx, const mplm_bitmap *discard)
{
	struct mock *k = ctx;
	note(k, "discard");
	k->discard_count = mplm_bitmap_count(discard);
	for (uint64_t p = 0; p < PAGES; p++)
		k->discard_has[p] = mplm_bitmap_test(discard, p);
	return k->fail_discard ? -1 : 0;
}

static int mock_request(void *ctx, uint64_t *page)
{
	struct mock *k = ctx;
	if (k->fail_request)
		return -1;
	if (k->handed < k->nrequests) {
		*page = k->requests[k->handed++];
		return 1;
	}
	if (k->done && k->late_requests) {
		k->late_requests--;
		*page = 0;
		return 1;
	}
	return 0;
}

static int mock_done(void *ctx, double *wait)
{
	struct mock *k = ctx;
	note(k, "done");
	k->done = true;
	*wait = 0.25;
	return k->fail_done ? -1 : 0;
}

static struct mplm_backend mock_backend(struct mock *k)
{
	return (struct mplm_backend){
		.ctx = k, .now = mock_now, .sync_dirty_log = mock_sync,
		.send_page = mock_send, .stop_guest = mock_stop,
		.send_state = mock_state, .start_destination = mock_start,
		.resume_source = mock_resume,
		.postcopy_discard = mock_discard,
		.postcopy_next_request = mock_request,
		.postcopy_done = mock_done,
	};
}

/* Pre-copy with postcopy-ram, the threshold from the configured rate:
 * 4 MB/s x 0.3 s = 300 pages. */
static mplm_migration *new_migration(struct mock *k)
{
	struct mplm_params p;
	mplm_params_default(&p);
	p.algorithm = MPLM_ALG_PRECOPY;
	p.max_bandwidth = 4096 * 1000.0;
	p.threshold_bandwidth = MPLM_THRESHOLD_MAX_BANDWIDTH;
	p.postcopy_ram = true;
	struct mplm_backend be = mock_backend(k);
	k->m = mplm_migration_new(PAGES, 4096, &p, &be);
	assert_non_null(k->m);
	return k->m;
}

static unsigned index_of(const uint64_t *v, unsigned n, uint64_t x)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == x)
			return i;
	return n;
}

/*
 * migrate-start-postcopy during send 300 (page 299): the switch comes
 * before the next page. Pages 0-299 went; the final sync finds page 0
 * written again: the discard set is 0 and 300-999, 701 pages. The
 * destination then asks for 800, then for 5 (sent before the switch and
 * not written since: skipped, but counted, as QEMU's counter does). The
 * source sends 800 first, then goes on after it: 801-999, then wraps to
 * 0, then 300-799. Every page after the switch: 701, 701 ms; the state
 * 5 ms of downtime. The cancel sent during the push is ignored.
 */
static void test_switch_and_push_order(void **state)
{
	(void)state;
	static const uint64_t requests[] = { 800, 5 };
	struct mock k = { .command_at = 300, .requests = requests, .nrequests = 2,
			  .cancel_after_switch = true };
	mplm_migration *m = new_migration(&k);
	assert_int_equal(mplm_migration_run(m), 0);

	static const char *const order[] = { "stop", "sync", "discard", "state",
					     "start", "done" };
	assert_int_equal(k.nlog, 6);
	for (unsigned i = 0; i < 6; i++)
		assert_string_equal(k.log[i], order[i]);
	assert_int_equal(k.discard_count, 701);
	assert_true(k.discard_has[0] && k.discard_has[300] && k.discard_has[999]);
	assert_false(k.discard_has[1] || k.discard_has[299]);

	assert_int_equal(k.sent_at_switch, 300);
	assert_int_equal(k.nsent, 1001);
	const uint64_t *after = k.sent + 300;
	assert_int_equal(after[0], 800);
	assert_int_equal(after[1], 801);
	assert_int_equal(after[199], 999);
	assert_int_equal(after[200], 0);
	assert_int_equal(after[201], 300);
	assert_int_equal(after[700], 799);
	assert_int_equal(index_of(after, 701, 5), 701); /* never resent */

	struct mplm_stats st;
	mplm_migration_stats(m, &st);
	assert_int_equal(k.status_seen, MPLM_STATUS_POSTCOPY_ACTIVE);
	assert_string_equal(mplm_status_name(MPLM_STATUS_POSTCOPY_ACTIVE), "postcopy-active");
	assert_int_equal(st.status, MPLM_STATUS_COMPLETED);
	assert_int_equal(st.verdict, MPLM_VERDICT_POSTCOPY);
	assert_string_equal(mplm_verdict_name(st.verdict), "postcopy");
	assert_int_equal(st.postcopy_requests, 2);
	assert_int_equal(st.postcopy_pages, 701);
	assert_int_equal(st.downtime_pages, 0);
	assert_true(st.postcopy_wait == 0.25);
	assert_true(st.downtime > 0.0049 && st.downtime < 0.0051);
	assert_true(st.postcopy_time > 0.7009 && st.postcopy_time < 0.7011);
	assert_true(st.total_time > 1.0059 && st.total_time < 1.0061);
	assert_false(k.resumed);

	char buf[2048];
	mplm_format_info_migrate(&st, buf, sizeof(buf));
	assert_non_null(strstr(buf, "postcopy request count: 2\n"));
	struct mplm_params p;
	mplm_params_default(&p);
	p.algorithm = MPLM_ALG_PRECOPY;
	p.postcopy_ram = true;
	char *js = mplm_query_migrate_json(&st, &p, NULL, 0);
	assert_non_null(js);
	assert_non_null(strstr(js, "\"postcopy-requests\": 2"));
	assert_non_null(strstr(js, "\"postcopy-pages\": 701"));
	assert_non_null(strstr(js, "\"postcopy-ram\": true"));
	free(js);
	mplm_migration_free(m);
}

/* postcopy-after-passes 1 with a downtime limit of 0.5 ms (half a page
 * at 4 MB/s): pre-copy sends all 1000 pages, syncs (page 0 written
 * again: not converged, pass 1) and switches: one page to push. Two
 * requests for it arrive after the last page went: counted all the same. */
static void test_after_one_pass(void **state)
{
	(void)state;
	struct mock k = { .late_requests = 2 };
	struct mplm_params p;
	mplm_params_default(&p);
	p.algorithm = MPLM_ALG_PRECOPY;
	p.downtime_limit = 0.0005;
	p.postcopy_ram = true;
	p.postcopy_after_passes = 1;
	struct mplm_backend be = mock_backend(&k);
	mplm_migration *m = k.m = mplm_migration_new(PAGES, 4096, &p, &be);
	assert_non_null(m);
	assert_int_equal(mplm_migration_run(m), 0);
	struct mplm_stats st;
	mplm_migration_stats(m, &st);
	assert_int_equal(st.verdict, MPLM_VERDICT_POSTCOPY);
	assert_int_equal(k.sent_at_switch, 1000);
	assert_int_equal(k.discard_count, 1);
	assert_int_equal(st.postcopy_pages, 1);
	assert_int_equal(k.sent[1000], 0);
	assert_int_equal(st.postcopy_requests, 2);
	assert_int_equal(k.late_requests, 0);
	size_t n;
	const struct mplm_sync_record *r = mplm_migration_syncs(m, &n);
	assert_int_equal(n, 3);
	assert_int_equal(r[1].verdict, MPLM_VERDICT_POSTCOPY);
	assert_true(r[2].final);
	mplm_migration_free(m);
}

/* A failure at the switch, before the destination runs: the migration
 * fails and the source runs again. */
/* Run with migrate-start-postcopy at send 300 and insist on a failure;
 * its stats in *st (the error lives as long as the migration). */
static mplm_migration *run_failing(struct mock *k, struct mplm_stats *st)
{
	k->command_at = 300;
	mplm_migration *m = new_migration(k);
	assert_int_equal(mplm_migration_run(m), -1);
	mplm_migration_stats(m, st);
	assert_int_equal(st->status, MPLM_STATUS_FAILED);
	return m;
}

static void check_fails_before(struct mock *k, const char *error)
{
	struct mplm_stats st;
	mplm_migration *m = run_failing(k, &st);
	assert_string_equal(st.error, error);
	assert_true(k->stopped && k->resumed && !k->started && !k->done);
	mplm_migration_free(m);
}

static void test_failure_before_switch_resumes_source(void **state)
{
	(void)state;
	struct mock a = { .fail_discard = 1 };
	check_fails_before(&a, "sending the post-copy discard set failed");
	struct mock b = { .fail_start = 1 };
	check_fails_before(&b, "the destination did not start");
}

/* A failure after the destination started: the guest is lost; the
 * source is not resumed (its memory is out of date). */
static void check_fails_after(struct mock *k, const char *cause)
{
	struct mplm_stats st;
	mplm_migration *m = run_failing(k, &st);
	assert_true(k->started);
	assert_false(k->resumed);
	assert_non_null(strstr(st.error, cause));
	assert_non_null(strstr(st.error, "the guest is lost (post-copy cannot fall back to the source)"));
	char buf[2048];
	mplm_format_info_migrate(&st, buf, sizeof(buf));
	assert_non_null(strstr(buf, "Migration status: failed\nerror: "));
	mplm_migration_free(m);
}

static void test_failure_after_switch_loses_guest(void **state)
{
	(void)state;
	struct mock a = { .fail_send_at = 350 };
	check_fails_after(&a, "sending a page failed after the switch");
	struct mock b = { .fail_request = 1 };
	check_fails_after(&b, "the destination's page requests failed");
	struct mock c = { .fail_done = 1 };
	check_fails_after(&c, "the destination was lost");
	/* A cancel during the push is ignored; a failure after it is
	 * still the guest's loss, not a cancel. */
	struct mock e = { .fail_send_at = 350, .cancel_after_switch = true };
	check_fails_after(&e, "sending a page failed after the switch");
	static const uint64_t bad[] = { PAGES };
	struct mock d = { .requests = bad, .nrequests = 1 };
	check_fails_after(&d, "beyond guest memory");
}

/* What cannot run: each refused with one line. */
static void test_refusals(void **state)
{
	(void)state;
	struct mock k = { 0 };
	struct mplm_params p;
	char err[256];
	mplm_params_default(&p);
	p.algorithm = MPLM_ALG_PRECOPY;
	p.postcopy_ram = true;
	struct mplm_backend be = mock_backend(&k);
	be.postcopy_done = NULL;
	assert_int_equal(mplm_backend_check(&p, &be, err, sizeof(err)), -1);
	assert_string_equal(err, "postcopy-ram: this back end cannot do post-copy "
				 "(no discard, page request or completion hook)");
	assert_null(mplm_migration_new(PAGES, 4096, &p, &be));
	p.postcopy_ram = false;
	assert_int_equal(mplm_backend_check(&p, &be, err, sizeof(err)), 0);

	p.algorithm = MPLM_ALG_MPLM;
	p.postcopy_ram = true;
	assert_int_equal(mplm_params_check(&p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "only with algorithm precopy"));
	p.postcopy_ram = false;
	p.postcopy_after_passes = 2;
	assert_int_equal(mplm_params_check(&p, err, sizeof(err)), -1);
	assert_string_equal(err, "postcopy-after-passes: needs postcopy-ram on");

	/* migrate-start-postcopy without the capability: QEMU's words. */
	p.postcopy_after_passes = 0;
	p.algorithm = MPLM_ALG_PRECOPY;
	be = mock_backend(&k);
	mplm_migration *m = mplm_migration_new(PAGES, 4096, &p, &be);
	assert_non_null(m);
	assert_int_equal(mplm_migration_start_postcopy(m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Enable postcopy with migrate_set_capability"));
	assert_int_equal(mplm_migration_schedule_postcopy(m, 1, err, sizeof(err)), -1);
	assert_int_equal(mplm_migration_schedule_postcopy(m, -1, err, sizeof(err)), 0);
	mplm_migration_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_and_push_order),
		cmocka_unit_test(test_after_one_pass),
		cmocka_unit_test(test_failure_before_switch_resumes_source),
		cmocka_unit_test(test_failure_after_switch_loses_guest),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

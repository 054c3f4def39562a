/*
 * test_postcopy.c - post-copy on real guests (userfaultfd on the
 * destination, README.md "Post-copy"):
 *
 *   - a writing guest migrated with post-copy after one pre-copy pass
 *     finishes on the destination with its own self-check (checksum,
 *     vector sum, memory hash against a host replay), every page arrived
 *     with the source's content at the pause (the hashes agree), and the
 *     pages the guest did not write there still hold it (the destination
 *     checks that under --verify);
 *   - a failure before the switch (destination killed, link cut) leaves
 *     the source's guest running, and it finishes right;
 *   - a failure after the switch (destination lost, link cut) loses the
 *     guest: the source stays paused for good and says why, and so does
 *     the destination;
 *   - a destination that will not run the guest refuses post-copy at the
 *     header, and one that fails at the switch refuses it there (ACK
 *     ok=0): either way the source's guest runs on.
 */
#include "kltest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "source.h" /* the test cuts the source's connection itself */

/* kltest's ~5 s writing guest; these tests read its parameters from
 * guest memory, not from the caller. */
static struct kl_vm *writing_guest(struct kl_config *cfg)
{
	struct kl_params p;
	return kltest_long_guest(cfg, &p);
}

static void start_postcopy(struct kltest_mig *m, struct kl_vm *vm, const char *uri,
			   double bandwidth, unsigned after_passes, double at)
{
	struct kl_mig_opts o;
	kltest_mig_opts(&o, MPLM_ALG_PRECOPY, uri);
	o.params.max_bandwidth = bandwidth;
	o.params.postcopy_ram = true;
	o.params.postcopy_after_passes = after_passes;
	o.start_postcopy_at = at;
	o.io_timeout = 3;
	kltest_mig_start(m, vm, &o);
}

static enum mplm_status status_of(kl_source *s)
{
	struct mplm_stats st;
	kl_source_stats(s, &st);
	return st.status;
}

/* For kltest_wait_source: the destination committed to post-copy. */
static bool committed(kl_source *s, const struct mplm_stats *st, const void *arg)
{
	(void)st;
	(void)arg;
	return kl_source_postcopy_committed(s);
}

/* For kltest_wait_source: the source is in its live stage. */
static bool live(kl_source *s, const struct mplm_stats *st, const void *arg)
{
	(void)s;
	(void)arg;
	return st->status == MPLM_STATUS_ACTIVE;
}

static void assert_replay(const struct kl_params *p, const struct kl_status *st)
{
	uint64_t c, v, h;
	assert_true(st->done);
	kltest_replay(p, 0, st->writes, &c, &v, &h);
	assert_int_equal(st->writes, 200000);
	assert_int_equal(st->checksum, c);
	assert_int_equal(st->vecsum, v);
	assert_int_equal(st->memhash, h);
}

/* The guest ran on here after a failed migration: let it finish and
 * check its own results. */
static void guest_finishes_here(struct kl_vm *vm)
{
	kltest_assert_guest_runs(vm);
	if (!kl_vm_wait_end(vm, 120))
		fail_msg("the guest did not finish here");
	assert_string_equal(kl_vm_error(vm), "");
	kltest_assert_guest_matches_replay(vm);
}

static void test_postcopy_after_one_pass(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	struct kl_config cfg;
	struct kltest_dst d;
	struct kl_result_file r;
	struct kltest_mig m;
	struct mplm_stats st;

	struct kl_vm *vm = writing_guest(&cfg);
	kltest_sleep(0.5);
	kltest_dst_start(&d, &cfg, NULL);
	/* 50 MB/s: the first pass takes ~1 s, the guest rewrites ~40,000
	 * pages meanwhile, so many are stale at the switch. */
	start_postcopy(&m, vm, d.uri, 50e6, 1, -1);
	pthread_join(m.t, NULL);
	if (m.rc != KL_MIG_DONE)
		fail_msg("post-copy migration: %s", kl_source_error(m.s));
	kl_source_stats(m.s, &st);
	assert_int_equal(st.status, MPLM_STATUS_COMPLETED);
	assert_int_equal(st.verdict, MPLM_VERDICT_POSTCOPY);
	assert_true(st.postcopy_pages > 0);
	assert_true(st.downtime > 0 && st.downtime < st.total_time);
	uint64_t at_pause = kl_source_memhash_at_pause(m.s);
	kl_source_free(m.s);

	assert_int_equal(kltest_dst_finish(&d, 120, &r), 0);
	if (!r.ok)
		fail_msg("destination: %s", r.error);
	printf("post-copy: %llu pages missing at the switch, %llu remote faults, waited %.3f s, window %.3f s; %llu unwritten pages checked\n",
	       (unsigned long long)r.postcopy_missing, (unsigned long long)r.postcopy_faults,
	       r.postcopy_wait, r.postcopy_window, (unsigned long long)r.postcopy_checked);
	assert_true(r.postcopy_missing > 0);
	assert_true(r.postcopy_checked > 0);
	/* The source counts every request the destination made, late ones
	 * (for pages already on their way) too. */
	assert_int_equal(st.postcopy_requests, r.postcopy_requests);
	/* Every page arrived with the source's content at the pause. */
	assert_int_equal(r.memhash_at_resume, at_pause);
	assert_replay(kl_gpa(vm, KL_PARAMS_GPA), &r.vcpu[0]);
	kltest_dst_cleanup(&d);
	kl_vm_destroy(vm);
}

/* The destination dies during the live stage (the switch would come
 * only at 1000 s): the source's guest never stopped and finishes right. */
static void test_destination_killed_before_switch(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	struct kl_config cfg;
	struct kltest_dst d;
	struct kltest_mig m;

	struct kl_vm *vm = writing_guest(&cfg);
	kltest_dst_start(&d, &cfg, NULL);
	start_postcopy(&m, vm, d.uri, 20e6, 0, 1000);
	assert_true(kltest_wait_source(m.s, live, NULL, 30));
	kill(d.pid, SIGKILL);
	pthread_join(m.t, NULL);
	assert_int_equal(m.rc, KL_MIG_FAILED);
	assert_int_equal(status_of(m.s), MPLM_STATUS_FAILED);
	kl_source_free(m.s);
	kltest_dst_cleanup(&d);
	guest_finishes_here(vm);
	kl_vm_destroy(vm);
}

/* The link is cut during the live stage (migrate_cancel shuts the
 * socket down): the same. */
static void test_link_cut_before_switch(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	struct kl_config cfg;
	struct kltest_dst d;
	struct kltest_mig m;

	struct kl_vm *vm = writing_guest(&cfg);
	kltest_dst_start(&d, &cfg, NULL);
	start_postcopy(&m, vm, d.uri, 20e6, 0, 1000);
	assert_true(kltest_wait_source(m.s, live, NULL, 30));
	kl_source_cancel(m.s);
	pthread_join(m.t, NULL);
	assert_int_equal(m.rc, KL_MIG_FAILED);
	assert_int_equal(status_of(m.s), MPLM_STATUS_CANCELLED);
	kl_source_free(m.s);
	struct kl_result_file r;
	assert_int_not_equal(kltest_dst_finish(&d, 60, &r), 0); /* never ran it */
	kltest_dst_cleanup(&d);
	guest_finishes_here(vm);
	kl_vm_destroy(vm);
}

/* A writing guest whose migration switches to post-copy at once (nearly
 * all of memory left to pull, so the destination is still at it when
 * the test breaks something), up to the destination's commit. */
static struct kl_vm *committed_postcopy(struct kl_config *cfg, struct kltest_dst *d,
					struct kltest_mig *m)
{
	struct kl_vm *vm = writing_guest(cfg);
	kltest_dst_start(d, cfg, NULL);
	start_postcopy(m, vm, d->uri, 0, 0, 0);
	if (!kltest_wait_source(m->s, committed, NULL, 30))
		fail_msg("the destination never committed to post-copy (status %s)",
			 mplm_status_name(status_of(m->s)));
	return vm;
}

/* After the test broke the migration after the switch: the source lost
 * the guest (unless post-copy was done before the break). */
static void assert_source_lost(struct kltest_mig *m)
{
	pthread_join(m->t, NULL);
	if (m->rc == KL_MIG_DONE)
		fail_msg("post-copy completed before the test broke it: make the test's VM larger");
	assert_int_equal(m->rc, KL_MIG_LOST);
	assert_int_equal(status_of(m->s), MPLM_STATUS_FAILED);
	assert_non_null(strstr(kl_source_error(m->s), "the guest is lost"));
	kl_source_free(m->s);
}

/* The destination is stopped, then killed, right after the switch: the
 * guest is lost. The source stays paused (its copy is behind what the
 * destination ran) and reports failed with the reason. (That a cancel
 * after the switch does not cut the stream: the next test.) */
static void test_destination_lost_after_switch(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	struct kl_config cfg;
	struct kltest_dst d;
	struct kltest_mig m;

	struct kl_vm *vm = committed_postcopy(&cfg, &d, &m);
	kill(d.pid, SIGSTOP);
	kl_source_cancel(m.s); /* ignored: the destination runs the guest */
	kltest_sleep(0.2);
	kill(d.pid, SIGKILL);
	assert_source_lost(&m);
	kltest_dst_cleanup(&d);
	/* Paused for good: every vCPU parked, no progress here. */
	pthread_mutex_lock(&vm->lock);
	unsigned parked = vm->nparked, threads = vm->nthreads;
	pthread_mutex_unlock(&vm->lock);
	assert_int_equal(parked, threads);
	uint64_t before = kl_dev_progress(&vm->dev);
	kltest_sleep(0.3);
	assert_int_equal(kl_dev_progress(&vm->dev), before);
	assert_false(kl_vm_all_ended(vm));
	kl_vm_destroy(vm);
}

/* A cancel after the destination committed is ignored (cutting the
 * stream would lose the guest): post-copy completes, and the guest
 * finishes right on the destination. */
static void test_cancel_after_switch_is_ignored(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	struct kl_config cfg;
	struct kltest_dst d;
	struct kl_result_file r;
	struct kltest_mig m;

	struct kl_vm *vm = committed_postcopy(&cfg, &d, &m);
	kl_source_cancel(m.s);
	pthread_join(m.t, NULL);
	if (m.rc != KL_MIG_DONE)
		fail_msg("post-copy after a cancel: %s", kl_source_error(m.s));
	assert_int_equal(status_of(m.s), MPLM_STATUS_COMPLETED);
	kl_source_free(m.s);
	assert_int_equal(kltest_dst_finish(&d, 120, &r), 0);
	if (!r.ok)
		fail_msg("destination: %s", r.error);
	assert_replay(kl_gpa(vm, KL_PARAMS_GPA), &r.vcpu[0]);
	kltest_dst_cleanup(&d);
	kl_vm_destroy(vm);
}

/* The link is cut right after the switch (the source's socket shut
 * down: a cancel is ignored by then): the destination reports the guest
 * lost and exits non-zero without a result from the guest, the source
 * fails the same way and stays paused. */
static void test_link_cut_after_switch(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	struct kl_config cfg;
	struct kltest_dst d;
	struct kl_result_file r;
	struct kltest_mig m;

	struct kl_vm *vm = committed_postcopy(&cfg, &d, &m);
	shutdown(m.s->fd, SHUT_RDWR);
	assert_source_lost(&m);
	assert_int_not_equal(kltest_dst_finish(&d, 60, &r), 0);
	assert_false(r.ok);
	if (!strstr(r.error, "post-copy failed after the switch, the guest is lost"))
		fail_msg("destination: %s", r.error);
	assert_int_equal(r.nvcpus, 0); /* nothing read from a half-there guest */
	kltest_dst_cleanup(&d);
	kl_vm_destroy(vm);
}

/* A destination that would not run the guest (--no-run) refuses a
 * post-copy stream at its header; the source's guest runs on. */
static void test_no_run_destination_refuses_postcopy(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	struct kl_config cfg;
	struct kltest_dst d;
	struct kltest_mig m;
	const char *no_run[] = { "--no-run", NULL };

	struct kl_vm *vm = writing_guest(&cfg);
	kltest_dst_start(&d, &cfg, no_run);
	start_postcopy(&m, vm, d.uri, 0, 1, -1);
	pthread_join(m.t, NULL);
	assert_int_equal(m.rc, KL_MIG_FAILED);
	assert_non_null(strstr(kl_source_error(m.s), "post-copy needs a destination that runs the guest"));
	kl_source_free(m.s);
	struct kl_result_file r;
	assert_int_not_equal(kltest_dst_finish(&d, 60, &r), 0);
	kltest_dst_cleanup(&d);
	guest_finishes_here(vm);
	kl_vm_destroy(vm);
}

/* A destination that fails at the switch itself (here: its userfaultfd
 * registration refused) has run nothing yet: it refuses with ACK ok=0
 * and the reason, so the source knows the outcome and resumes its guest,
 * which finishes right. */
static void test_destination_failing_at_switch_refuses(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	KLTEST_REQUIRE_UFFD();
	struct kl_config cfg;
	struct kltest_dst d;
	struct kltest_mig m;

	struct kl_vm *vm = writing_guest(&cfg);
	setenv("KVMLITE_TEST_FAIL_POSTCOPY_SWITCH", "1", 1); /* the child's */
	kltest_dst_start(&d, &cfg, NULL);
	unsetenv("KVMLITE_TEST_FAIL_POSTCOPY_SWITCH");
	/* At once: a pre-copy pass could converge and end it without a switch. */
	start_postcopy(&m, vm, d.uri, 0, 0, 0);
	pthread_join(m.t, NULL);
	assert_int_equal(m.rc, KL_MIG_FAILED);
	assert_int_equal(status_of(m.s), MPLM_STATUS_FAILED);
	assert_false(kl_source_postcopy_committed(m.s));
	if (!strstr(kl_source_error(m.s), "UFFDIO_REGISTER of guest RAM: refused on purpose"))
		fail_msg("source: %s", kl_source_error(m.s));
	kl_source_free(m.s);
	struct kl_result_file r;
	assert_int_not_equal(kltest_dst_finish(&d, 60, &r), 0);
	assert_false(r.ok);
	kltest_dst_cleanup(&d);
	guest_finishes_here(vm);
	kl_vm_destroy(vm);
}

int main(void)
{
	kltest_init(900);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postcopy_after_one_pass),
		cmocka_unit_test(test_destination_killed_before_switch),
		cmocka_unit_test(test_link_cut_before_switch),
		cmocka_unit_test(test_destination_lost_after_switch),
		cmocka_unit_test(test_cancel_after_switch_is_ignored),
		cmocka_unit_test(test_link_cut_after_switch),
		cmocka_unit_test(test_no_run_destination_refuses_postcopy),
		cmocka_unit_test(test_destination_failing_at_switch_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

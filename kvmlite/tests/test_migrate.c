/*
 * test_migrate.c - live migration over loopback, for each algorithm: a
 * guest migrated mid-run finishes on the destination with the same
 * checksums as the same guest run unmigrated here, and the hash of guest
 * memory at the source's pause equals the destination's at resume.
 * Also: MPLM's options and operator events, 2 vCPUs, several slots,
 * dirty rings, a bandwidth cap.
 */
#include "kltest.h"

#include <string.h>

struct mig_case {
	enum mplm_algorithm alg;
	unsigned vcpus, slots;
	bool ring;
	uint64_t pattern;
	double max_bandwidth;
	double min_total_time; /* s: the live stage was held this long */
	void (*tune)(struct kl_mig_opts *o);
};

static void case_config(const struct mig_case *mc, struct kl_config *cfg,
			struct kl_params *p)
{
	unsigned n = mc->vcpus ? mc->vcpus : 1;
	kltest_config(cfg, 128 << 20, n);
	cfg->nslots = mc->slots ? mc->slots : 1;
	if (mc->ring) {
		cfg->log_mode = KL_LOG_RING;
		cfg->ring_entries = 8192;
	}
	/* ~1.5 s of writes at 40,000 pages/s over a 64 MiB working set. */
	kltest_params(p, mc->pattern ? mc->pattern : KL_PAT_UNIFORM, 16384,
		      40000, 60000 / n);
}

/* The same guest, unmigrated: its checksums are the reference. */
static void reference_run(const struct kl_config *cfg, const struct kl_params *p,
			  struct kl_status *out)
{
	struct kl_vm *vm = kltest_vm(cfg, p);
	kltest_run_to_end(vm, 60);
	kltest_assert_guest_matches_replay(vm);
	for (unsigned i = 0; i < cfg->nvcpus; i++)
		out[i] = *kl_vm_status(vm, i);
	kl_vm_destroy(vm);
}

static void migrate_case(const struct mig_case *mc)
{
	struct kl_config cfg;
	struct kl_params p;
	struct kl_status ref[KL_MAX_VCPUS];
	struct kl_mig_opts o;
	struct kltest_dst d;
	struct kl_result_file r;
	struct kl_err e;

	case_config(mc, &cfg, &p);
	reference_run(&cfg, &p, ref);

	struct kl_vm *vm = kltest_vm(&cfg, &p);
	kltest_dst_start(&d, &cfg, NULL);
	assert_int_equal(kl_vm_start(vm, &e), 0);
	kltest_sleep(0.4); /* mid-run */
	kltest_mig_opts(&o, mc->alg, d.uri);
	o.params.max_bandwidth = mc->max_bandwidth;
	if (mc->tune)
		mc->tune(&o);
	kl_source *s = kl_source_new(vm, &o, &e);
	assert_non_null(s);
	int rc = kl_source_run(s);
	if (rc != 0)
		fail_msg("migration failed: %s", kl_source_error(s));
	struct mplm_stats st;
	kl_source_stats(s, &st);
	assert_int_equal(st.status, MPLM_STATUS_COMPLETED);
	assert_true(st.total_time >= mc->min_total_time);
	assert_true(st.downtime > 0 && st.downtime < st.total_time);
	uint64_t at_pause = kl_source_memhash_at_pause(s);
	kl_source_free(s);

	int status = kltest_dst_finish(&d, 90, &r);
	if (status != 0 || !r.ok) {
		char *out = kltest_dst_output(&d);
		fail_msg("destination exit %d: %s\n%s", status, r.error, out);
	}
	/* The guest did not finish before it left. */
	for (unsigned i = 0; i < cfg.nvcpus; i++)
		assert_int_not_equal(kl_vm_status(vm, i)->done, 1);
	assert_true(at_pause != 0);
	assert_int_equal(r.memhash_at_resume, at_pause);
	assert_int_equal(r.nvcpus, cfg.nvcpus);
	for (unsigned i = 0; i < cfg.nvcpus; i++) {
		assert_true(r.vcpu[i].done);
		assert_int_equal(r.vcpu[i].writes, ref[i].writes);
		assert_int_equal(r.vcpu[i].checksum, ref[i].checksum);
		assert_int_equal(r.vcpu[i].vecsum, ref[i].vecsum);
		assert_int_equal(r.vcpu[i].memhash, ref[i].memhash);
	}
	kltest_dst_cleanup(&d);
	kl_vm_destroy(vm);
}

#define MIG_TEST(name, ...)                                   \
	static void name(void **state)                        \
	{                                                     \
		(void)state;                                  \
		KLTEST_REQUIRE_KVM();                         \
		struct mig_case mc = { __VA_ARGS__ };         \
		migrate_case(&mc);                            \
	}

static void mplm_options(struct kl_mig_opts *o)
{
	o->params.firstnondirty = false;
	o->params.relaxlivemig = true;
	o->params.dirtypercents = 30;
	o->params.intervaltime = 0.2;
}

/* Extend the live stage past the end of ND, end it by the operator. A
 * 1 ms downtime limit, so qemu-mplm's "pending fits the downtime" test
 * does not end the live stage first. */
static void mplm_extend_then_end(struct kl_mig_opts *o)
{
	o->extend_live = true;
	o->end_live_at = 0.8;
	o->params.intervaltime = 0.2;
	o->params.downtime_limit = 0.001;
}

MIG_TEST(test_precopy, .alg = MPLM_ALG_PRECOPY)
MIG_TEST(test_mplm, .alg = MPLM_ALG_MPLM)
MIG_TEST(test_stopcopy, .alg = MPLM_ALG_STOPCOPY)
MIG_TEST(test_mplm_options, .alg = MPLM_ALG_MPLM, .tune = mplm_options,
	 .pattern = KL_PAT_HOTSPOT)
MIG_TEST(test_mplm_extend_live, .alg = MPLM_ALG_MPLM, .tune = mplm_extend_then_end,
	 .min_total_time = 0.8)
MIG_TEST(test_precopy_two_vcpus, .alg = MPLM_ALG_PRECOPY, .vcpus = 2)
MIG_TEST(test_mplm_two_vcpus_stencil, .alg = MPLM_ALG_MPLM, .vcpus = 2,
	 .pattern = KL_PAT_STENCIL)
MIG_TEST(test_precopy_three_slots, .alg = MPLM_ALG_PRECOPY, .slots = 3,
	 .pattern = KL_PAT_SEQUENTIAL)
MIG_TEST(test_precopy_dirty_ring, .alg = MPLM_ALG_PRECOPY, .ring = true)
MIG_TEST(test_precopy_bandwidth_cap, .alg = MPLM_ALG_PRECOPY,
	 .max_bandwidth = 200e6)

/* Auto-converge on a guest that dirties faster than a 13 MB/s link
 * drains (and a 1 ms limit, so pre-copy cannot converge): each pass
 * closes one of QEMU's >1 s periods, the fourth sync throttles the vCPU
 * to 20 %, max-iterations then forces the
 * downtime, and the guest finishes on the destination exactly as a replay
 * of its writes says. */
static void test_precopy_auto_converge(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	struct kl_params p;
	struct kl_mig_opts o;
	struct kltest_dst d;
	struct kl_result_file r;
	struct kl_err e;
	size_t n;

	kltest_config(&cfg, 128 << 20, 1);
	kltest_params(&p, KL_PAT_UNIFORM, 4096, 20000, 300000);
	struct kl_vm *vm = kltest_vm(&cfg, &p);
	kltest_dst_start(&d, &cfg, NULL);
	assert_int_equal(kl_vm_start(vm, &e), 0);
	kltest_sleep(1.0); /* the guest has written its 16 MiB */
	kltest_mig_opts(&o, MPLM_ALG_PRECOPY, d.uri);
	o.params.max_bandwidth = 13e6; /* a pass: ~1.3 s */
	o.params.auto_converge = true;
	o.params.downtime_limit = 0.001; /* never converges by itself */
	o.params.max_iterations = 7;
	kl_source *s = kl_source_new(vm, &o, &e);
	assert_non_null(s);
	if (kl_source_run(s) != 0)
		fail_msg("migration failed: %s", kl_source_error(s));
	const struct mplm_sync_record *syncs = kl_source_syncs(s, &n);
	unsigned top = 0;
	for (size_t i = 0; i < n; i++)
		top = syncs[i].throttle > top ? syncs[i].throttle : top;
	if (top < 20)
		fail_msg("never throttled over %zu syncs", n);
	assert_true(kl_vm_throttled_seconds(vm) > 0);
	kl_source_free(s);

	int status = kltest_dst_finish(&d, 120, &r);
	if (status != 0 || !r.ok || !r.vcpu[0].done) {
		char *out = kltest_dst_output(&d);
		fail_msg("destination exit %d: %s\n%s", status, r.error, out);
	}
	uint64_t c, v, h;
	kltest_replay(kl_gpa(vm, KL_PARAMS_GPA), 0, r.vcpu[0].writes, &c, &v, &h);
	assert_int_equal(r.vcpu[0].checksum, c);
	assert_int_equal(r.vcpu[0].memhash, h);
	kltest_dst_cleanup(&d);
	kl_vm_destroy(vm);
}

/* The throttle slows a vCPU without changing what it computes, and a
 * pause asked for during a 99 % throttle does not wait out the sleep. */
static void test_throttle_and_pause(void **state)
{
	(void)state;
	KLTEST_REQUIRE_KVM();
	struct kl_config cfg;
	struct kl_params p;
	struct kl_err e;

	kltest_config(&cfg, 64 << 20, 1);
	kltest_params(&p, KL_PAT_SEQUENTIAL, 4096, 0, 300000);
	struct kl_vm *vm = kltest_vm(&cfg, &p);
	assert_int_equal(kl_vm_start(vm, &e), 0);
	kl_vm_set_throttle(vm, 50);
	kltest_sleep(1.0);
	double slept = kl_vm_throttled_seconds(vm);
	if (!(slept > 0.2 && slept < 0.9))
		fail_msg("slept %.3f s of 1 s at a 50 %% throttle", slept);
	kl_vm_set_throttle(vm, 99);
	kltest_sleep(0.1);
	double t0 = kl_now();
	kl_vm_pause(vm);
	double waited = kl_now() - t0;
	if (waited > 0.5)
		fail_msg("a pause waited %.3f s for a throttled vCPU", waited);
	kl_vm_set_throttle(vm, 0);
	kl_vm_resume(vm);
	kltest_run_to_end(vm, 60);
	kltest_assert_guest_matches_replay(vm);
	kl_vm_destroy(vm);
}

int main(void)
{
	kltest_init(900);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precopy),
		cmocka_unit_test(test_mplm),
		cmocka_unit_test(test_stopcopy),
		cmocka_unit_test(test_mplm_options),
		cmocka_unit_test(test_mplm_extend_live),
		cmocka_unit_test(test_precopy_two_vcpus),
		cmocka_unit_test(test_mplm_two_vcpus_stencil),
		cmocka_unit_test(test_precopy_three_slots),
		cmocka_unit_test(test_precopy_dirty_ring),
		cmocka_unit_test(test_precopy_bandwidth_cap),
		cmocka_unit_test(test_precopy_auto_converge),
		cmocka_unit_test(test_throttle_and_pause),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

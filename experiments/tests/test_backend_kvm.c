/*
 * test_backend_kvm.c - the back-end table's `kvm` entry (backend_kvm.c):
 * the simulator's configuration drives a real migration under kvmlite and
 * the result comes back in the simulator's structure. Skipped, and said
 * so, without /dev/kvm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "backend.h"
#include "helpers.h"

static int kvm_run(const struct sim_config *c, struct sim_result *r)
{
	const struct backend *b = backend_find("kvm");
	assert_non_null(b);
	assert_false(b->parallel_safe);
	assert_false(b->replays_traces);
	return b->run(c, r);
}

static void config(struct sim_config *c, const char *spec,
		   enum mplm_algorithm alg)
{
	memset(c, 0, sizeof(*c));
	c->workload_spec = spec;
	c->link_bandwidth = 0;
	c->start_at = 0.5;
	c->extend_live_at = c->end_live_at = -1;
	c->verify = true;
	mplm_params_default(&c->params);
	c->params.algorithm = alg;
	c->params.max_bandwidth = 0;
	c->params.intervaltime = 0.5;
	c->params.max_total_time = 60;
}

static void run(const char *spec, enum mplm_algorithm alg)
{
	struct sim_config c;
	struct sim_result r;
	config(&c, spec, alg);
	int rc = kvm_run(&c, &r);
	if (rc != 0)
		fail_msg("backend kvm: %s", r.error);
	assert_int_equal(r.stats.status, MPLM_STATUS_COMPLETED);
	assert_true(r.verified);
	assert_int_equal(r.mismatches, 0);
	assert_true(r.nsyncs >= 2);
	assert_true(r.stats.total_time > 0 && r.stats.downtime > 0);
	/* Paced at 20,000 pages/s: never above it (plus rounding), and on a
	 * loaded 2-core machine well below it at times, but not near zero. */
	assert_true(r.trace_rate > 2000 && r.trace_rate < 22000);
	assert_int_equal(r.vm_pages, (64ull << 20) / 4096);
	free(r.syncs);
}

static void test_precopy(void **state)
{
	(void)state;
	REQUIRE_KVM();
	run("uniform,memory=60M,wss=32M,rate=20000,duration=3,seed=3", MPLM_ALG_PRECOPY);
}

static void test_mplm(void **state)
{
	(void)state;
	REQUIRE_KVM();
	run("stencil,memory=60M,wss=32M,rate=20000,duration=3,seed=3,arrays=4", MPLM_ALG_MPLM);
}

static void test_rejects(void **state)
{
	(void)state;
	struct sim_config c;
	struct sim_result r;
	config(&c, "zigzag,memory=60M", MPLM_ALG_MPLM);
	assert_int_equal(kvm_run(&c, &r), -1);
	assert_non_null(strstr(r.error, "pattern"));
	config(&c, NULL, MPLM_ALG_MPLM);
	c.trace_path = "x.trace";
	assert_int_equal(kvm_run(&c, &r), -1);
	assert_non_null(strstr(r.error, "trace"));
	config(&c, "uniform,memory=60M,wss=1G", MPLM_ALG_MPLM);
	assert_int_equal(kvm_run(&c, &r), -1);
}

int main(void)
{
	alarm(300);  /* a stuck migration fails the test */
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precopy),
		cmocka_unit_test(test_mplm),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
